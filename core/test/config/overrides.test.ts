import * as path from 'path';
import { applyOverrides, parseOverride } from '../../src/config/overrides';
import { ConfigError } from '../../src/util/errors';

describe('parseOverride', () => {
  test.each<[string, unknown]>([
    ['seed=42', 42],
    ['shrink.threshold=1e6', 1e6],
    ['train.learningRate=-0.5', -0.5],
    ['shrink.enabled=false', false],
    ['output.progress=true', true],
    ['data.cacheDir=null', null],
    ['name="quoted string"', 'quoted string'],
    ['name="123"', '123'],
    ['name=plain text', 'plain text'],
    ['name=', ''],
    ['name=a=b', 'a=b'],
    ['plugins=[]', []],
    ['x=[1,"a",{"b":2}]', [1, 'a', { b: 2 }]],
    ['search.options={"epochs": 3, "nested": {"k": [true]}}', { epochs: 3, nested: { k: [true] } }],
    ['name={not json', '{not json'],
  ])('%s', (text, value) => {
    expect(parseOverride(text).value).toEqual(value);
  });

  test('path and pointer', () => {
    expect(parseOverride('plugins.0.options.x=1')).toMatchObject({
      path: ['plugins', '0', 'options', 'x'],
      pointer: '/plugins/0/options/x',
    });
  });

  test.each([
    ['seed', '--set seed: expected path=value'],
    ['=3', "--set =3: empty path before '='"],
    ['a..b=1', "--set a..b=1: empty key in path 'a..b'"],
    ['a.=1', "--set a.=1: empty key in path 'a.'"],
    ['__proto__.x=1', "--set __proto__.x=1: key '__proto__' is not allowed"],
  ])('malformed %s', (text, message) => {
    expect(() => parseOverride(text)).toThrow(ConfigError);
    expect(() => parseOverride(text)).toThrow(message);
  });
});

describe('applyOverrides', () => {
  const base = () => ({
    seed: 1,
    shrink: { threshold: 100, policy: { kind: 'global', count: 3 } },
    plugins: [{ plugin: 'a', options: { x: 0 } }],
  });

  test('sets values of every kind, creating objects on the way; does not change its input', () => {
    const raw = base();
    const { raw: out } = applyOverrides(raw, [
      'seed=7',
      'shrink.policy.kind=per-choice',
      'shrink.enabled=false',
      'shrink.train.learningRate=0.1',
      'data.cacheDir=null',
      'name="007"',
      'search={"plugin":"s","options":{"k":[1,2]}}',
    ]);
    expect(out).toEqual({
      seed: 7,
      name: '007',
      shrink: { threshold: 100, enabled: false, policy: { kind: 'per-choice', count: 3 }, train: { learningRate: 0.1 } },
      data: { cacheDir: null },
      search: { plugin: 's', options: { k: [1, 2] } },
      plugins: [{ plugin: 'a', options: { x: 0 } }],
    });
    expect(raw).toEqual(base());
  });

  test('array indices, including appending one element', () => {
    const { raw: out } = applyOverrides(base(), ['plugins.0.options.x=1', 'plugins.1.plugin=b', 'list.0.a=1']);
    expect(out.plugins).toEqual([{ plugin: 'a', options: { x: 1 } }, { plugin: 'b' }]);
    expect(out.list).toEqual([{ a: 1 }]);
  });

  test('later overrides win', () => {
    expect(applyOverrides(base(), ['seed=2', 'seed=3']).raw.seed).toBe(3);
  });

  test('cannot set inside a scalar, or leave a gap in an array', () => {
    expect(() => applyOverrides(base(), ['seed.x=1'])).toThrow(
      "--set seed.x=1: /seed is a number, cannot set 'x' inside it",
    );
    expect(() => applyOverrides(base(), ['plugins.5.plugin=x'])).toThrow(
      '--set plugins.5.plugin=x: /plugins has 1 element(s); index 5 would leave a gap',
    );
    expect(() => applyOverrides(base(), ['plugins.first=x'])).toThrow(
      "--set plugins.first=x: /plugins is an array, expected an index instead of 'first'",
    );
  });

  test('origins: the latest --set at or above a pointer, else the preset', () => {
    const { origin } = applyOverrides(base(), ['shrink.policy={"kind":"x"}', 'shrink.policy.count=4', 'seed=abc'], (p) =>
      p === '/seed' ? 'seed-file.json' : 'preset.json',
    );
    expect(origin('/seed')).toBe('--set seed=abc');
    expect(origin('/shrink/policy/kind')).toBe('--set shrink.policy={"kind":"x"}');
    expect(origin('/shrink/policy')).toBe('--set shrink.policy={"kind":"x"}');
    expect(origin('/shrink/policy/count')).toBe('--set shrink.policy.count=4');
    expect(origin('/shrink/threshold')).toBe('preset.json');
    expect(origin('/shrink')).toBe('preset.json');

    const reversed = applyOverrides(base(), ['shrink.policy.count=4', 'shrink.policy={"kind":"x"}']);
    expect(reversed.origin('/shrink/policy/count')).toBe('--set shrink.policy={"kind":"x"}');
  });

  test('relative plugin paths given on the command line are resolved against the working directory', () => {
    const { raw } = applyOverrides({ space: { plugin: './keep-me' } }, [
      'search.plugin=./my-searcher',
      'plugins=[{"plugin":"../ext"},{"plugin":"pkg"}]',
    ]);
    expect(raw).toEqual({
      space: { plugin: './keep-me' },
      search: { plugin: path.resolve('my-searcher') },
      plugins: [{ plugin: path.resolve('../ext') }, { plugin: 'pkg' }],
    });
  });
});
