import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { displayPath, findJsonError, loadPreset, shippedPresetNames } from '../../src/config/load';
import { ConfigError } from '../../src/util/errors';

/** A fresh temp folder with the given files (values other than strings are written as JSON). */
function tempPresets(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-config-'));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

/** The presets package of this checkout (presets/, linked as @absnas/presets). */
const PRESETS = fs.realpathSync(path.join(__dirname, '../../../presets'));

function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}


function loadError(file: string): ConfigError {
  try {
    loadPreset(file);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadPreset', () => {
  const dirs: string[] = [];
  const make = (files: Record<string, unknown>): string => {
    const dir = tempPresets(files);
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach(removeDir));

  test('reads a preset without extends', () => {
    const dir = make({ 'a.json': { seed: 3, space: { plugin: 'nb201' } } });
    const p = loadPreset(path.join(dir, 'a.json'));
    expect(p.raw).toEqual({ seed: 3, space: { plugin: 'nb201' } });
    expect(p.files).toEqual([path.join(dir, 'a.json')]);
    expect(p.origin('/seed')).toBe(path.join(dir, 'a.json'));
  });

  test('the .json extension may be left out, for the file and in extends', () => {
    const dir = make({ 'base.json': { seed: 1 }, 'child.json': { extends: 'base' } });
    expect(loadPreset(path.join(dir, 'child')).raw).toEqual({ seed: 1 });
  });

  test('an extends chain: deep merge, child wins, arrays replaced, origins tracked', () => {
    const dir = make({
      'base/root.json': {
        name: 'root',
        seed: 1,
        shrink: { threshold: 100, policy: { kind: 'global', count: 3 }, train: { batchSize: 32, learningRate: 0.1 } },
        plugins: [{ plugin: 'a' }, { plugin: 'b' }],
      },
      'mid/mid.json': { extends: '../base/root.json', shrink: { train: { batchSize: 16 } }, seed: 2 },
      'leaf.json': { extends: './mid/mid', shrink: { policy: { count: 5 } }, plugins: [{ plugin: 'c' }] },
    });
    const root = path.join(dir, 'base/root.json');
    const mid = path.join(dir, 'mid/mid.json');
    const leaf = path.join(dir, 'leaf.json');
    const p = loadPreset(leaf);
    expect(p.raw).toEqual({
      name: 'root',
      seed: 2,
      shrink: { threshold: 100, policy: { kind: 'global', count: 5 }, train: { batchSize: 16, learningRate: 0.1 } },
      plugins: [{ plugin: 'c' }],
    });
    expect(p.raw).not.toHaveProperty('extends');
    expect(p.files).toEqual([root, mid, leaf]);
    expect(p.origin('/name')).toBe(root);
    expect(p.origin('/seed')).toBe(mid);
    expect(p.origin('/shrink/threshold')).toBe(root);
    expect(p.origin('/shrink/train/learningRate')).toBe(root);
    expect(p.origin('/shrink/train/batchSize')).toBe(mid);
    expect(p.origin('/shrink/policy/count')).toBe(leaf);
    expect(p.origin('/shrink/policy/kind')).toBe(root);
    // a key nobody set: the deepest ancestor's file (the one that last touched it)
    expect(p.origin('/shrink/policy/nope')).toBe(leaf);
    expect(p.origin('/shrink/train/momentum')).toBe(mid);
    expect(p.origin('/data/trainSize')).toBe(leaf);
    // the replaced array belongs to the leaf entirely
    expect(p.origin('/plugins/0/plugin')).toBe(leaf);
    expect(p.origin('/plugins/1/plugin')).toBe(leaf);
  });

  test('an array of extends is applied in order, then the file itself', () => {
    const dir = make({
      'a.json': { seed: 1, name: 'a', data: { trainSize: 10, valSize: 5 } },
      'b.json': { seed: 2, data: { valSize: 7 } },
      'c.json': { extends: ['a', 'b.json'], name: 'c' },
    });
    const p = loadPreset(path.join(dir, 'c.json'));
    expect(p.raw).toEqual({ seed: 2, name: 'c', data: { trainSize: 10, valSize: 7 } });
    expect(p.files).toEqual(['a.json', 'b.json', 'c.json'].map((f) => path.join(dir, f)));
    expect(p.origin('/data/trainSize')).toBe(path.join(dir, 'a.json'));
    expect(p.origin('/data/valSize')).toBe(path.join(dir, 'b.json'));
    expect(p.origin('/seed')).toBe(path.join(dir, 'b.json'));
    expect(p.origin('/name')).toBe(path.join(dir, 'c.json'));
  });

  test('a shared base (diamond) is not a cycle', () => {
    const dir = make({
      'base.json': { seed: 1 },
      'x.json': { extends: 'base', name: 'x' },
      'y.json': { extends: 'base', output: { progress: false } },
      'top.json': { extends: ['x', 'y'] },
    });
    const p = loadPreset(path.join(dir, 'top.json'));
    expect(p.raw).toEqual({ seed: 1, name: 'x', output: { progress: false } });
    expect(p.files.map((f) => path.basename(f))).toEqual(['base.json', 'x.json', 'y.json', 'top.json']);
  });

  test('a cycle is reported with its path', () => {
    const dir = make({
      'a.json': { extends: 'b' },
      'b.json': { extends: 'c' },
      'c.json': { extends: 'a' },
    });
    const e = loadError(path.join(dir, 'a.json'));
    expect(e.message).toContain(`${path.join(dir, 'c.json')}: /extends: presets extend each other in a cycle`);
    expect(e.message).toContain(['a', 'b', 'c', 'a'].map((f) => path.join(dir, `${f}.json`)).join(' -> '));
  });

  test('a preset extending itself is a cycle', () => {
    const dir = make({ 'self.json': { extends: './self.json' } });
    expect(loadError(path.join(dir, 'self.json')).message).toMatch(/cycle: .*self\.json -> .*self\.json/);
  });

  test('a missing base names the extending file, the pointer and the paths tried', () => {
    const dir = make({ 'a.json': { extends: ['ok', 'gone'] }, 'ok.json': {} });
    const e = loadError(path.join(dir, 'a.json'));
    expect(e.message).toBe(
      `${path.join(dir, 'a.json')}: /extends/1: preset 'gone' not found (looked for ${path.join(dir, 'gone')}, ${path.join(dir, 'gone.json')}, ` +
        `${displayPath(path.join(PRESETS, 'gone'))}, ${displayPath(path.join(PRESETS, 'gone.json'))})`,
    );
  });

  test('a name without a path is a preset of @absnas/presets, for the file and in extends', () => {
    const quickstart = JSON.parse(fs.readFileSync(path.join(PRESETS, 'quickstart.json'), 'utf8'));
    expect(loadPreset('quickstart').raw).toEqual(quickstart);
    expect(loadPreset('quickstart').files).toEqual([path.join(PRESETS, 'quickstart.json')]);
    expect(loadPreset('paper/nb201-ranking-mini').files).toEqual(
      ['nb201-ranking.json', 'nb201-ranking-mini.json'].map((f) => path.join(PRESETS, 'paper', f)),
    );
    const dir = make({ 'mine.json': { extends: 'quickstart', name: 'mine' } });
    const mine = loadPreset(path.join(dir, 'mine.json'));
    expect(mine.raw).toEqual({ ...quickstart, name: 'mine' });
    // a file of that name beside the extending preset comes first
    const near = make({ 'mine.json': { extends: 'quickstart' }, 'quickstart.json': { name: 'near' } });
    expect(loadPreset(path.join(near, 'mine.json')).raw).toEqual({ name: 'near' });
  });

  test('an unknown name lists the shipped presets, with the nearest one', () => {
    const e = loadError('quikstart');
    expect(e.message).toMatch(/^preset not found: quikstart \(looked for .*\); the presets of @absnas\/presets: .*paper\/nb201-ranking-mini.*; did you mean 'quickstart'\?$/);
    expect(shippedPresetNames()).toEqual(expect.arrayContaining(['quickstart', 'paper/nb201-compare-mini', 'paper/nb201-ranking']));
    expect(shippedPresetNames()).not.toContain('package');
  });

  test('a missing top-level preset is named', () => {
    const dir = make({});
    const e = loadError(path.join(dir, 'nothere.json'));
    expect(e.message).toBe(`preset not found: ${path.join(dir, 'nothere.json')} (looked for ${path.join(dir, 'nothere.json')})`);
  });

  test('JSON syntax errors give file, line and column', () => {
    const dir = make({
      'bad.json': '{\n  "seed": 1,\n  "name": "x",\n}\n',
      'bad2.json': '{\n  "seed": 1\n  "name": "x"\n}\n',
      'bad3.json': '{\n  "shrink": {\n    "threshold": 1e,\n  }\n}\n',
      'child.json': { extends: 'bad2' },
    });
    expect(loadError(path.join(dir, 'bad.json')).message).toBe(
      `${path.join(dir, 'bad.json')}:4:1: invalid JSON: trailing comma before '}', found '}'`,
    );
    expect(loadError(path.join(dir, 'bad2.json')).message).toBe(
      `${path.join(dir, 'bad2.json')}:3:3: invalid JSON: expected ',' or '}' after the property value, found '"'`,
    );
    expect(loadError(path.join(dir, 'bad3.json')).message).toBe(
      `${path.join(dir, 'bad3.json')}:3:19: invalid JSON: malformed number, found 'e'`,
    );
    // through extends, the broken file is named
    expect(loadError(path.join(dir, 'child.json')).message).toMatch(/bad2\.json:3:3: invalid JSON/);
  });

  test('file names are shown relative to the working directory when inside it', () => {
    const dir = make({ 'presets/bad.json': '{"seed": }' });
    const spy = jest.spyOn(process, 'cwd').mockReturnValue(dir);
    try {
      expect(loadError('presets/bad.json').message).toBe(
        `presets/bad.json:1:10: invalid JSON: expected a value, found '}'`,
      );
    } finally {
      spy.mockRestore();
    }
  });

  test('the top level must be an object; extends must be strings', () => {
    const dir = make({ 'arr.json': [1, 2], 'ext.json': { extends: 3 }, 'ext2.json': { extends: ['a', 4] } });
    expect(loadError(path.join(dir, 'arr.json')).message).toBe(
      `${path.join(dir, 'arr.json')}: expected a JSON object at the top level, got an array`,
    );
    expect(loadError(path.join(dir, 'ext.json')).message).toBe(
      `${path.join(dir, 'ext.json')}: /extends: expected a preset path or an array of them, got number 3`,
    );
    expect(loadError(path.join(dir, 'ext2.json')).message).toContain('/extends: expected a preset path');
  });

  test('relative plugin paths are resolved against the preset that names them', () => {
    const dir = make({
      'lib/base.json': {
        space: { plugin: './plugins/space' },
        shrink: { metric: { plugin: '../metrics/m', options: { a: 1 } } },
        search: { plugin: '@absnas/spos' },
        plugins: [{ plugin: './ext' }, { plugin: 'some-package' }],
      },
      'runs/run.json': { extends: '../lib/base', search: { plugin: './my-searcher' } },
    });
    const p = loadPreset(path.join(dir, 'runs/run.json'));
    expect(p.raw).toEqual({
      space: { plugin: path.join(dir, 'lib/plugins/space') },
      shrink: { metric: { plugin: path.join(dir, 'metrics/m'), options: { a: 1 } } },
      search: { plugin: path.join(dir, 'runs/my-searcher') },
      plugins: [{ plugin: path.join(dir, 'lib/ext') }, { plugin: 'some-package' }],
    });
  });

  test('the preset files are not changed', () => {
    const dir = make({ 'a.json': { extends: 'b', space: { plugin: './x' } }, 'b.json': { seed: 1 } });
    const before = fs.readFileSync(path.join(dir, 'a.json'), 'utf8');
    loadPreset(path.join(dir, 'a.json'));
    expect(fs.readFileSync(path.join(dir, 'a.json'), 'utf8')).toBe(before);
  });
});

describe('findJsonError', () => {
  test.each([
    ['{"a": 1}', null],
    ['', { offset: 0, message: 'expected a value, found end of file' }],
    ['{"a": 1,}', { offset: 8, message: "trailing comma before '}', found '}'" }],
    ['[1, 2', { offset: 5, message: "expected ',' or ']' after the array element, found end of file" }],
    ["{'a': 1}", { offset: 1, message: "expected a double-quoted property name, found '''" }],
    ['{"a": tru}', { offset: 9, message: "expected 'true', found '}'" }],
    ['{"a": 01}', { offset: 7, message: "malformed number, found '1'" }],
    ['{"a": 1} x', { offset: 9, message: "unexpected text after the JSON value, found 'x'" }],
    ['"abc', { offset: 4, message: 'unterminated string, found end of file' }],
  ])('%j', (text, expected) => {
    expect(findJsonError(text)).toEqual(expected);
    if (expected === null) expect(() => JSON.parse(text)).not.toThrow();
    else expect(() => JSON.parse(text)).toThrow();
  });
});
