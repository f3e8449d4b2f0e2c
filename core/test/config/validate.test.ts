import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Ajv from 'ajv';
import { loadPreset } from '../../src/config/load';
import { applyOverrides } from '../../src/config/overrides';
import { coreConfigSchema, trainConfigSchema } from '../../src/config/schema';
import { composeSchema, validateConfig, validateCoreConfig, validatePluginOptions } from '../../src/config/validate';
import type { RunConfig } from '../../src/config/types';
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

function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}


const minimal = () => ({ space: { plugin: '@absnas/space-nb201' } });

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a ConfigError');
}

const TRAIN_DEFAULTS = {
  batchSize: 64,
  learningRate: 0.025,
  minLearningRate: 0.001,
  schedule: 'cosine',
  momentum: 0.9,
  nesterov: true,
  weightDecay: 5e-4,
  weightDecayScope: 'all',
  offPathUpdates: false,
  gradientClip: 5,
  gradientClipMode: 'norm',
  stepsPerEpoch: 0,
  augment: false,
  labelSmoothing: 0,
};

describe('schema', () => {
  test('compiles in ajv strict mode', () => {
    const ajv = new Ajv({ strict: true, allowUnionTypes: true, useDefaults: true });
    expect(() => ajv.compile(coreConfigSchema)).not.toThrow();
    expect(() => new Ajv({ strict: true, useDefaults: true }).compile({ type: 'object', properties: { train: trainConfigSchema } })).not.toThrow();
  });

  test('every object rejects unknown keys', () => {
    const walk = (s: Record<string, unknown>, where: string): void => {
      if (s.type === 'object' && s.properties) expect([where, s.additionalProperties]).toEqual([where, false]);
      for (const [k, v] of Object.entries((s.properties as Record<string, Record<string, unknown>>) ?? {})) walk(v, `${where}/${k}`);
      if (s.items && !Array.isArray(s.items)) walk(s.items as Record<string, unknown>, `${where}/items`);
    };
    walk(coreConfigSchema, '');
  });
});

describe('validateConfig: defaults', () => {
  test('a minimal config gets every default', () => {
    const config = validateCoreConfig(minimal(), 'x.json');
    const expected: RunConfig = {
      name: 'run',
      seed: 0,
      backend: 'auto',
      data: { dataset: 'mnist', trainSize: 0, valSize: 5000, testSize: 0, imageSize: 224, imageFolder: { mode: 'auto', prefetch: 2 } },
      space: { plugin: '@absnas/space-nb201', options: {} },
      shrink: {
        enabled: true,
        metric: { plugin: '@absnas/metric-angle', options: {} },
        threshold: 1e6,
        policy: { kind: 'global', count: 7, dropAbsent: false },
        epochsBeforeFirstRound: 1,
        epochsPerRound: 1,
        childrenPerOperator: 100,
        shareChildren: false,
        enumerateUpTo: 20000,
        retakeBaseAfterDrops: 0,
        baseWeights: { takeAfterEpochs: 0 },
        maxRounds: 50,
        train: TRAIN_DEFAULTS as RunConfig['shrink']['train'],
        space: {},
        warmup: { startCells: 0, epochsPerStage: 5 },
        horizonEpochs: 0,
      },
      search: { plugin: '@absnas/spos', options: {} },
      plugins: [],
      output: { progress: true },
    };
    expect(config).toEqual(expected);
  });

  test('partial objects are completed; given values are kept; the input is not changed', () => {
    const raw = {
      ...minimal(),
      $schema: '../core/schema/config.json',
      description: 'a test',
      shrink: { policy: { kind: 'per-choice' }, train: { batchSize: 8 }, metric: { plugin: 'm' } },
      plugins: [{ plugin: 'ext' }],
      data: { dataset: 'synthetic' },
    };
    const copy = JSON.parse(JSON.stringify(raw));
    const config = validateCoreConfig(raw, 'x.json');
    expect(raw).toEqual(copy);
    expect(config.shrink.policy).toEqual({ kind: 'per-choice', count: 7, dropAbsent: false });
    expect(config.shrink.train).toEqual({ ...TRAIN_DEFAULTS, batchSize: 8 });
    expect(config.shrink.metric).toEqual({ plugin: 'm', options: {} });
    expect(config.plugins).toEqual([{ plugin: 'ext', options: {} }]);
    expect(config.data).toEqual({ dataset: 'synthetic', trainSize: 0, valSize: 5000, testSize: 0, imageSize: 224, imageFolder: { mode: 'auto', prefetch: 2 } });
    expect((config as unknown as Record<string, unknown>).description).toBe('a test');
  });

  test('extends may be left in a raw config', () => {
    expect(() => validateCoreConfig({ ...minimal(), extends: ['a', 'b'] }, 'x.json')).not.toThrow();
    expect(errorOf(() => validateCoreConfig({ ...minimal(), extends: 3 }, 'x.json'))).toBe(
      'x.json: /extends: expected string or array, got number 3',
    );
  });
});

describe('validateConfig: errors name the file, the pointer, what was expected and what was found', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));

  /** Load `preset` from presets/x.json (extending presets/base.json) with cwd at the temp folder. */
  function presetError(preset: Record<string, unknown>, sets: string[] = [], file = 'x.json'): string {
    const dir = tempPresets({ 'presets/base.json': minimal(), [`presets/${file}`]: { extends: './base', ...preset } });
    dirs.push(dir);
    const spy = jest.spyOn(process, 'cwd').mockReturnValue(dir);
    try {
      const loaded = loadPreset(path.join(dir, 'presets', file));
      const { raw, origin } = applyOverrides(loaded.raw, sets, loaded.origin);
      return errorOf(() => validateConfig(raw, origin, []));
    } finally {
      spy.mockRestore();
    }
  }

  test('the ABS DARTS reference options: bad values name the key and what was expected', () => {
    expect(presetError({ shrink: { policy: { kind: 'per-choice', count: 1, dropAbsent: 'yes' } } })).toBe(
      'presets/x.json: /shrink/policy/dropAbsent: expected boolean, got string "yes"',
    );
    expect(presetError({ shrink: { warmup: { startCells: -1 } } })).toBe('presets/x.json: /shrink/warmup/startCells: expected an integer >= 0, got -1');
    expect(presetError({ shrink: { warmup: { cells: 3 } } })).toMatch(/^presets\/x.json: \/shrink\/warmup\/cells: unknown key 'cells' \(allowed: startCells, epochsPerStage\)/);
    expect(presetError({ shrink: { horizonEpochs: 1.5 } })).toBe('presets/x.json: /shrink/horizonEpochs: expected integer, got number 1.5');
    expect(presetError({ shrink: { space: 14 } })).toBe('presets/x.json: /shrink/space: expected object, got number 14');
    expect(presetError({ shrink: { train: { gradientClipMode: 'elementwise' } } })).toBe(
      "presets/x.json: /shrink/train/gradientClipMode: expected one of 'norm', 'value', got 'elementwise'",
    );
  });

  test('typo key', () => {
    expect(presetError({ shrink: { threshhold: 1000 } }, [], 'quickstart.json')).toBe(
      "presets/quickstart.json: /shrink/threshhold: unknown key 'threshhold' (allowed: enabled, metric, threshold, policy, " +
        'epochsBeforeFirstRound, epochsPerRound, childrenPerOperator, shareChildren, enumerateUpTo, retakeBaseAfterDrops, baseWeights, maxRounds, ' +
        "train, space, warmup, horizonEpochs); did you mean 'threshold'?",
    );
  });

  test('typo key at the top level beats the missing key it stands for', () => {
    const dir = tempPresets({ 'p.json': { spcae: { plugin: 'x' } } });
    dirs.push(dir);
    const loaded = loadPreset(path.join(dir, 'p.json'));
    expect(errorOf(() => validateCoreConfig(loaded.raw, loaded.origin))).toMatch(
      new RegExp(`^${path.join(dir, 'p.json')}: /spcae: unknown key 'spcae' \\(allowed: \\$schema, extends, description, name, seed, .*\\); did you mean 'space'\\?$`),
    );
  });

  test('wrong type', () => {
    expect(presetError({ data: { trainSize: '2000' } }, [], 'quickstart.json')).toBe(
      'presets/quickstart.json: /data/trainSize: expected integer, got string "2000"',
    );
    expect(presetError({ shrink: { enabled: 'yes' } })).toBe(
      'presets/x.json: /shrink/enabled: expected boolean, got string "yes"',
    );
    expect(presetError({ shrink: { threshold: 1000, policy: 'global' } })).toBe(
      'presets/x.json: /shrink/policy: expected object, got string "global"',
    );
    expect(presetError({ plugins: { plugin: 'x' } })).toBe(
      'presets/x.json: /plugins: expected array, got object {"plugin":"x"}',
    );
    expect(presetError({ data: { trainSize: 2.5 } })).toBe(
      'presets/x.json: /data/trainSize: expected integer, got number 2.5',
    );
  });

  test('bad enum', () => {
    expect(presetError({ shrink: { policy: { kind: 'glob' } } })).toBe(
      "presets/x.json: /shrink/policy/kind: expected one of 'global', 'per-choice', got 'glob'",
    );
    expect(presetError({ backend: 'gpu' })).toBe(
      "presets/x.json: /backend: expected one of 'auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu', got 'gpu'",
    );
  });

  test('out of range', () => {
    expect(presetError({ shrink: { threshold: 0.5 } })).toBe('presets/x.json: /shrink/threshold: expected a number >= 1, got 0.5');
    expect(presetError({ shrink: { policy: { count: 0 } } })).toBe(
      'presets/x.json: /shrink/policy/count: expected an integer >= 1, got 0',
    );
    expect(presetError({ shrink: { train: { learningRate: 0 } } })).toBe(
      'presets/x.json: /shrink/train/learningRate: expected a number > 0, got 0',
    );
    expect(presetError({ shrink: { train: { momentum: 1 } } })).toBe(
      'presets/x.json: /shrink/train/momentum: expected a number < 1, got 1',
    );
    expect(presetError({ data: { valSize: -1 } })).toBe('presets/x.json: /data/valSize: expected an integer >= 0, got -1');
    expect(presetError({ name: '' })).toBe('presets/x.json: /name: expected a non-empty string, got string ""');
  });

  test('the error is attributed to the file that set the value, through extends', () => {
    const dir = tempPresets({
      'presets/base.json': { ...minimal(), shrink: { policy: { kind: 'glob' } } },
      'presets/x.json': { extends: 'base', seed: 1 },
    });
    dirs.push(dir);
    const spy = jest.spyOn(process, 'cwd').mockReturnValue(dir);
    try {
      const loaded = loadPreset('presets/x.json');
      expect(errorOf(() => validateCoreConfig(loaded.raw, loaded.origin))).toBe(
        "presets/base.json: /shrink/policy/kind: expected one of 'global', 'per-choice', got 'glob'",
      );
    } finally {
      spy.mockRestore();
    }
  });

  test('a missing required key', () => {
    const dir = tempPresets({ 'p.json': { seed: 1 } });
    dirs.push(dir);
    const loaded = loadPreset(path.join(dir, 'p.json'));
    expect(errorOf(() => validateCoreConfig(loaded.raw, loaded.origin))).toBe(
      `${path.join(dir, 'p.json')}: /space: missing required key 'space'`,
    );
    expect(errorOf(() => validateCoreConfig({ space: {} }, 'q.json'))).toBe(
      "q.json: /space/plugin: missing required key 'plugin'",
    );
  });

  test('errors from --set name the override', () => {
    expect(presetError({}, ['seed=abc'])).toBe('--set seed=abc: /seed: expected integer, got string "abc"');
    expect(presetError({}, ['shrink.policy={"kind":"per-choice","cnt":2}'])).toBe(
      `--set shrink.policy={"kind":"per-choice","cnt":2}: /shrink/policy/cnt: unknown key 'cnt' (allowed: kind, count, dropAbsent)`,
    );
    expect(presetError({ seed: 'abc' }, ['name=ok'])).toBe('presets/x.json: /seed: expected integer, got string "abc"');
  });

  test('a root that is not an object', () => {
    expect(errorOf(() => validateCoreConfig([1], 'a.json'))).toBe('a.json: /: expected object, got array [1]');
  });
});

describe('plugin option schemas', () => {
  const spos = {
    type: 'object',
    additionalProperties: false,
    properties: {
      population: { type: 'integer', minimum: 2, default: 50 },
      epochs: { type: 'integer', minimum: 1, default: 20 },
      train: trainConfigSchema,
    },
  };
  const space = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    additionalProperties: false,
    definitions: { positive: { type: 'integer', minimum: 1 } },
    // (ajv takes a default from the property's own schema, not from behind a $ref)
    properties: { channels: { $ref: '#/definitions/positive', default: 16 }, cells: { type: 'integer', default: 5 } },
  };
  const ext = { type: 'object', additionalProperties: false, properties: { every: { type: 'integer', default: 1 } } };
  const schemas = [
    { pointer: '/space/options', plugin: '@absnas/space-nb201', schema: space },
    { pointer: '/search/options', plugin: '@absnas/spos', schema: spos },
    { pointer: '/plugins/1/options', plugin: 'my-ext', schema: ext },
  ];
  const raw = () => ({
    space: { plugin: '@absnas/space-nb201' },
    search: { plugin: '@absnas/spos', options: { epochs: 3, train: { batchSize: 32 } } },
    plugins: [{ plugin: 'other', options: { anything: true } }, { plugin: 'my-ext' }],
  });

  test('defaults are applied inside plugin options; internal $refs still resolve', () => {
    const config = validateConfig(raw(), 'p.json', schemas);
    expect(config.space.options).toEqual({ channels: 16, cells: 5 });
    expect(config.search.options).toEqual({ population: 50, epochs: 3, train: { ...TRAIN_DEFAULTS, batchSize: 32 } });
    expect(config.plugins[0].options).toEqual({ anything: true });
    expect(config.plugins[1].options).toEqual({ every: 1 });
  });

  test('a typo inside /search/options names the file and the plugin', () => {
    const dir = tempPresets({ 'run.json': { ...raw(), search: { plugin: '@absnas/spos', options: { populaton: 10 } } } });
    const loaded = loadPreset(path.join(dir, 'run.json'));
    try {
      // the core schema alone lets plugin options through
      expect(() => validateCoreConfig(loaded.raw, loaded.origin)).not.toThrow();
      expect(errorOf(() => validateConfig(loaded.raw, loaded.origin, schemas))).toBe(
        `${path.join(dir, 'run.json')}: /search/options/populaton: unknown key 'populaton' (allowed: population, epochs, train); ` +
          "did you mean 'population'? [options of plugin @absnas/spos]",
      );
    } finally {
      removeDir(dir);
    }
  });

  test('wrong types inside plugin options, by pointer', () => {
    const r = raw();
    (r.search.options.train as Record<string, unknown>).schedule = 'step';
    expect(errorOf(() => validateConfig(r, 'p.json', schemas))).toBe(
      "p.json: /search/options/train/schedule: expected one of 'cosine', 'linear', 'constant', got 'step' [options of plugin @absnas/spos]",
    );
    const r2 = raw();
    (r2.plugins[1] as Record<string, unknown>).options = { every: 'x' };
    expect(errorOf(() => validateConfig(r2, 'p.json', schemas))).toBe(
      'p.json: /plugins/1/options/every: expected integer, got string "x" [options of plugin my-ext]',
    );
    const r3 = raw();
    (r3.space as Record<string, unknown>).options = { channels: 0 };
    expect(errorOf(() => validateConfig(r3, 'p.json', schemas))).toBe(
      'p.json: /space/options/channels: expected an integer >= 1, got 0 [options of plugin @absnas/space-nb201]',
    );
  });

  test('composeSchema places each schema and leaves the core schema alone', () => {
    const before = JSON.stringify(coreConfigSchema);
    const composed = composeSchema(schemas) as any;
    expect(JSON.stringify(coreConfigSchema)).toBe(before);
    expect(composed.properties.search.properties.options.properties.population).toEqual(spos.properties.population);
    expect(composed.properties.search.properties.options.default).toEqual({});
    expect(composed.properties.plugins.items[1].properties.options.properties.every).toBeDefined();
    expect(composed.properties.plugins.items[0].properties.options).toEqual({ type: 'object', description: expect.any(String), default: {} });
    expect(composed.properties.plugins.additionalItems.properties.plugin).toBeDefined();
    expect(composed.properties.space.properties.options.$schema).toBeUndefined();
    expect(composeSchema()).toEqual(coreConfigSchema);
    expect(() => composeSchema([{ pointer: '/nope/options', plugin: 'p', schema: {} }])).toThrow(/no place for plugin options/);
    // the composed schema is itself a valid draft-07 schema
    expect(() => new Ajv({ strict: false }).compile(composed)).not.toThrow();
  });

  test('validatePluginOptions checks one plugin on its own', () => {
    expect(validatePluginOptions(undefined, '@absnas/spos', spos)).toEqual({ population: 50, epochs: 20, train: TRAIN_DEFAULTS });
    expect(errorOf(() => validatePluginOptions({ epochs: 0 }, '@absnas/spos', spos))).toBe(
      '@absnas/spos: /epochs: expected an integer >= 1, got 0 [options of plugin @absnas/spos]',
    );
  });
});
