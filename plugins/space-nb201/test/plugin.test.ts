import { CandidateSet, ConfigError, PLUGIN_API_VERSION, Rng, SEARCH_SPACE } from '@absnas/core';
import defaultExport, { Nb201Space, plugin } from '../src/index';

describe('the plugin object', () => {
  it('is exported as default and as plugin, for the space kind of this API', () => {
    expect(defaultExport).toBe(plugin);
    expect(plugin.name).toBe('@absnas/space-nb201');
    expect(plugin.kind).toBe('space');
    expect(plugin.apiVersion.split('.')[0]).toBe(PLUGIN_API_VERSION.split('.')[0]);
    expect(plugin.schema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      properties: {
        channels: { type: 'integer', minimum: 1, default: 16 },
        cellsPerStage: { type: 'integer', minimum: 1, default: 5 },
        sampling: { type: 'string', enum: ['shared', 'per-cell'], default: 'shared' },
      },
    });
  });

  it('registers an Nb201Space under SEARCH_SPACE with the given options', () => {
    const registered: [unknown, { useValue: Nb201Space }][] = [];
    const container = { register: (token: unknown, provider: { useValue: Nb201Space }) => registered.push([token, provider]) };
    plugin.register(container as never, { channels: 8 });
    expect(registered).toHaveLength(1);
    expect(registered[0][0]).toBe(SEARCH_SPACE);
    const space = registered[0][1].useValue;
    expect(space).toBeInstanceOf(Nb201Space);
    expect(space.options).toEqual({ channels: 8, cellsPerStage: 5, sampling: 'shared' });
  });
});

describe('Nb201Space', () => {
  it('applies defaults and rejects bad options', () => {
    expect(new Nb201Space().options).toEqual({ channels: 16, cellsPerStage: 5, sampling: 'shared' });
    expect(new Nb201Space({}).options).toEqual({ channels: 16, cellsPerStage: 5, sampling: 'shared' });
    expect(() => new Nb201Space({ channels: 0 })).toThrow(ConfigError);
    expect(() => new Nb201Space({ cellsPerStage: 1.5 })).toThrow(/cellsPerStage/);
  });

  it('describes itself as the nb201 cell space of 15,625 children', () => {
    const space = new Nb201Space();
    expect(space.name).toBe('nb201');
    expect(space.kind).toBe('cell');
    expect(new CandidateSet(space.choicePoints).size()).toBe(15625);
  });

  it('samples uniformly over the remaining candidates, holding a fixed operator', () => {
    const space = new Nb201Space();
    const shrunk = new CandidateSet(space.choicePoints).without([
      { point: 0, op: 'none' },
      { point: 0, op: 'skip_connect' },
      { point: 5, op: 'avg_pool_3x3' },
    ]);
    const rng = new Rng(1);
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const arch = space.sample(shrunk, rng, { point: 2, op: 'nor_conv_3x3' });
      expect(shrunk.contains(arch)).toBe(true);
      expect(arch[2]).toBe('nor_conv_3x3');
      seen.add(arch[0]);
    }
    expect([...seen].sort()).toEqual(['avg_pool_3x3', 'nor_conv_1x1', 'nor_conv_3x3']);
  });
});
