/**
 * What searchers and metrics need of the space is checked once, when the
 * run is assembled: a differentiable searcher (or the magnitude metric) on
 * a space without mixtures fails before anything is built or trained, with
 * one line naming the config key, the component and the space.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { assemble } from '../../src/run/assemble';
import { PLUGIN_API_VERSION } from '../../src/plugin/plugin';
import { ParamStore } from '../../src/nn/params';
import { isMixtureSupernet, mixtureSupernet, unmetRequirement } from '../../src/space/requirements';
import type { Mixture, SearchSpace, Supernet } from '../../src/space/search-space';
import { ConfigError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';
import { CLI, ROOT, runCli, tempDir } from '../../../test/e2e/helpers';

/** A cell space whose supernet runs single children only; building a supernet at all would fail the test. */
const SINGLE_PATH_SPACE = `
module.exports = {
  name: 'single-path-cells',
  apiVersion: '${PLUGIN_API_VERSION}',
  kind: 'space',
  schema: { type: 'object' },
  register(container) {
    container.register(Symbol.for('absnas.SearchSpace'), {
      useValue: {
        name: 'single-path-cells',
        kind: 'cell',
        choicePoints: [{ id: 'e0', candidates: ['a', 'b'] }, { id: 'e1', candidates: ['a', 'b'] }],
        parse: (text) => text.split('|'),
        format: (arch) => arch.join('|'),
        sample: (candidates, rng, fixed) => candidates.sampleUniform(rng, fixed),
        createSupernet: () => { throw new Error('a supernet was built: the run got past its assembly'); },
        cost: () => ({ params: 0, flops: 0 }),
        weightLayout: () => ({ segments: [], allPathsCut: false }),
      },
    });
  },
};
`;

describe('requirements of searchers and metrics, checked at assembly', () => {
  const dir = tempDir('requirements');
  const spacePlugin = path.join(dir, 'single-path-cells.js');
  fs.writeFileSync(spacePlugin, SINGLE_PATH_SPACE);
  const searchOptions: Record<string, unknown> = { '@absnas/proxylessnas': { target: { metric: 'flops', value: 1e6 } } };
  const config = (search: string, shrink: Record<string, unknown> = { enabled: false }): Record<string, unknown> => ({
    name: 'requirements',
    data: { dataset: 'synthetic', trainSize: 32, valSize: 32, testSize: 32 },
    space: { plugin: spacePlugin },
    shrink,
    search: { plugin: search, options: searchOptions[search] ?? {} },
  });
  const where = () => 'preset.json';

  it.each([
    ['@absnas/darts', 'darts'],
    ['@absnas/pdarts', 'pdarts'],
    ['@absnas/proxylessnas', 'proxylessnas'],
  ])('%s on a space without mixtures fails, naming the searcher and the space', (plugin, name) => {
    expect(() => assemble(config(plugin), where)).toThrow(ConfigError);
    expect(() => assemble(config(plugin), where)).toThrow(
      `preset.json: /search/plugin: searcher '${name}' needs a space whose supernet runs mixtures of candidates ` +
        "(forwardMixture, paramsOfMixture), but space 'single-path-cells' does not declare mixtures",
    );
  });

  it('the magnitude metric on a space without mixtures fails at its own key', () => {
    const shrink = { enabled: true, metric: { plugin: '@absnas/metric-magnitude' } };
    expect(() => assemble(config('@absnas/spos', shrink), where)).toThrow(
      "preset.json: /shrink/metric/plugin: metric 'magnitude' needs a space whose supernet runs mixtures",
    );
  });

  it('single-path searchers and metrics assemble on it; DARTS assembles on a space with mixtures', () => {
    const shrink = { enabled: true, metric: { plugin: '@absnas/metric-angle' } };
    expect(assemble(config('@absnas/spos', shrink), where).searcher.name).toBe('spos');
    const darts = assemble({ ...config('@absnas/darts'), space: { plugin: '@absnas/space-nb201' } }, where);
    expect(darts.space.mixtures).toBe(true);
  });

  it('through the command line: exit code 2, one line, and no run directory', () => {
    const preset = path.join(dir, 'darts.json');
    fs.writeFileSync(preset, JSON.stringify(config('@absnas/darts')));
    const out = path.join(dir, 'run');
    const r = runCli(['run', preset, '--out', out, '--quiet'], ROOT);
    expect(fs.existsSync(CLI)).toBe(true);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/\/search\/plugin: searcher 'darts' needs a space whose supernet runs mixtures of candidates .* space 'single-path-cells'/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('unmetRequirement and the mixture type guard', () => {
  const space = (kind: 'cell' | 'chain', mixtures?: boolean): Pick<SearchSpace, 'name' | 'kind' | 'mixtures'> => ({ name: 'toy', kind, mixtures });

  it('says which requirement is not met, kinds first', () => {
    expect(unmetRequirement(space('cell', true), 'searcher x', { spaceKinds: ['cell'], mixtures: true })).toBeUndefined();
    expect(unmetRequirement(space('chain'), 'searcher x', {})).toBeUndefined();
    expect(unmetRequirement(space('chain'), 'searcher x', { spaceKinds: ['cell'], mixtures: true })).toBe(
      "searcher x works on cell spaces, but space 'toy' is a chain space",
    );
    expect(unmetRequirement(space('cell', false), 'metric m', { mixtures: true })).toMatch(/^metric m needs a space whose supernet runs mixtures/);
  });

  it('the guard tells supernets with mixtures from those without, and names who needed them', () => {
    const store = new ParamStore(new Rng(0));
    const single: Supernet = {
      store,
      forward: (x: tf.Tensor4D) => tf.zeros([x.shape[0], 2]) as tf.Tensor2D,
      paramsOf: () => [],
      resetBatchNormStats: () => undefined,
      dispose: () => undefined,
    };
    const mixing: Supernet = { ...single, forwardMixture: (x: tf.Tensor4D, _m: Mixture) => single.forward(x, [], 'eval'), paramsOfMixture: () => [] };
    expect(isMixtureSupernet(single)).toBe(false);
    expect(isMixtureSupernet(mixing)).toBe(true);
    expect(mixtureSupernet(mixing, 'DARTS')).toBe(mixing);
    expect(() => mixtureSupernet(single, 'DARTS')).toThrow(
      'DARTS needs a supernet that runs mixtures of candidates, but this one has no mixture forward pass (forwardMixture, paramsOfMixture)',
    );
  });
});
