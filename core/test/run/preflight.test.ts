/**
 * The checks before a run directory is created: the supernet parameter
 * bound really bounds what the shipped spaces build, a space too large is
 * refused naming /space/options, and a batch larger than its split names
 * the batch key.
 */
import { assemble } from '../../src/run/assemble';
import { loadData } from '../../src/data/load';
import { batchUses, preflightData, preflightMemory, supernetParamsBound } from '../../src/run/preflight';
import { ConfigError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';

const origin = (): string => 'test.json';
const assembled = (space: string, options: Record<string, unknown>) =>
  assemble(
    {
      name: 'x',
      data: { dataset: 'synthetic', trainSize: 8, valSize: 8, testSize: 8 },
      space: { plugin: space, options },
      shrink: { enabled: false },
      search: { plugin: '@absnas/spos', options: { train: { batchSize: 4 } } },
    },
    origin,
  );

describe('preflight', () => {
  it.each([
    ['@absnas/space-nb201', { channels: 4, cellsPerStage: 1 }],
    ['@absnas/space-mobilenet', { widthMultiplier: 0.25 }],
  ])('the parameter bound of %s is at least what its supernet holds', (space, options) => {
    const a = assembled(space, options);
    const data = loadData(a.config.data, 0);
    const supernet = a.space.createSupernet(data.input, new Rng(0));
    try {
      let actual = 0;
      for (const v of supernet.store.params.values()) actual += v.size;
      expect(actual).toBeGreaterThan(0);
      expect(supernetParamsBound(a.space, data.input)).toBeGreaterThanOrEqual(actual);
    } finally {
      supernet.dispose();
    }
  });

  it('refuses a space whose parameters cannot fit, naming /space/options, and passes a small one', () => {
    const small = assembled('@absnas/space-nb201', { channels: 4, cellsPerStage: 1 });
    const input = loadData(small.config.data, 0).input;
    expect(() => preflightMemory(small.space, input, 'wasm', origin)).not.toThrow();
    const huge = assembled('@absnas/space-nb201', { channels: 100000, cellsPerStage: 1 });
    expect(() => preflightMemory(huge.space, input, 'wasm', origin)).toThrow(ConfigError);
    expect(() => preflightMemory(huge.space, input, 'wasm', origin)).toThrow(/test\.json: \/space\/options: .* more than the 4 GiB the wasm backend can address/);
  });

  it('a batch larger than its split names the batch key and the split size', () => {
    const a = assembled('@absnas/space-nb201', { channels: 4, cellsPerStage: 1 });
    const uses = batchUses({ ...a.config, search: { options: { train: { batchSize: 16 } } } }, true);
    expect(uses.map((u) => `${u.pointer}:${u.split}`)).toEqual(['/search/options/train/batchSize:train', '/search/options/train/batchSize:val']);
    expect(() => preflightData(a.config.data, 0, uses, origin)).toThrow(/\/search\/options\/train\/batchSize: 16 is larger than the training split \(8 images\)/);
    expect(() => preflightData(a.config.data, 0, batchUses(a.config, false), origin)).not.toThrow();
  });
});
