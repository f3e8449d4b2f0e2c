/**
 * shrink.space: the shrinking supernet's own space options (the ABS DARTS
 * reference shrinks on 14 cells and searches on 8), through the space's
 * withOptions; bad options fail at assembly at their key.
 */
import { assemble } from '../../src/run/assemble';
import { ConfigError } from '../../src/util/errors';

const config = (shrinkSpace?: Record<string, unknown>): Record<string, unknown> => ({
  data: { dataset: 'synthetic' },
  space: { plugin: '@absnas/space-darts', options: { channels: 4, layers: 5 } },
  shrink: { enabled: true, metric: { plugin: '@absnas/metric-angle' }, ...(shrinkSpace ? { space: shrinkSpace } : {}) },
  search: { plugin: '@absnas/darts' },
});
const origin = (): string => 'preset.json';

describe('shrink.space', () => {
  it('gives the shrinking supernet its own options; the search keeps the space as configured', () => {
    const a = assemble(config({ layers: 14, init: 'kaiming' }), origin);
    expect((a.shrinkSpace as unknown as { options: Record<string, unknown> }).options).toMatchObject({ channels: 4, layers: 14, init: 'kaiming' });
    expect((a.space as unknown as { options: Record<string, unknown> }).options).toMatchObject({ channels: 4, layers: 5, init: 'pytorch' });
    expect(a.shrinkSpace.choicePoints.map((p) => p.id)).toEqual(a.space.choicePoints.map((p) => p.id));
  });

  it('is the space itself without options', () => {
    const a = assemble(config(), origin);
    expect(a.shrinkSpace).toBe(a.space);
    expect(a.config.shrink.space).toEqual({});
  });

  it("refuses options the space refuses, at the key", () => {
    expect(() => assemble(config({ layers: 0 }), origin)).toThrow(ConfigError);
    expect(() => assemble(config({ layers: 0 }), origin)).toThrow(
      "preset.json: /shrink/space: space-darts: option 'layers' must be an integer >= 1, got 0",
    );
    expect(() => assemble(config({ init: 'xavier' }), origin)).toThrow(/\/shrink\/space: space-darts: option 'init' must be one of pytorch, kaiming/);
  });

  it("checks the space's own options by its schema, naming the key", () => {
    const bad = (options: Record<string, unknown>) => ({ ...config(), space: { plugin: '@absnas/space-darts', options } });
    expect(() => assemble(bad({ sampling: 'uniform' }), origin)).toThrow(
      "preset.json: /space/options/sampling: expected one of 'pairs', 'check-cand', got 'uniform' [options of plugin @absnas/space-darts]",
    );
    expect(() => assemble(bad({ init: 'xavier' }), origin)).toThrow(/\/space\/options\/init: expected one of 'pytorch', 'kaiming', got 'xavier'/);
    expect(() => assemble(bad({ affine: 1 }), origin)).toThrow(/\/space\/options\/affine: expected boolean, got number 1/);
  });
});
