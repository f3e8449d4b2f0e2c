/**
 * The zero-cost proxies through the command line: listed with their options,
 * ranked by `absnas rank` (rank correlations and cost per child), and used
 * by ABS as `shrink.metric`, so that `absnas compare` sets an angle-shrunk
 * space against a synflow-shrunk one for the same searcher.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFakeBenchmark } from './fake-benchmark';
import { ROOT, runCli, tempDir } from './helpers';

const PROXIES = ['synflow', 'naswot', 'grad-norm', 'snip', 'grasp', 'fisher'];

describe('zero-cost proxies', () => {
  const dir = tempDir('proxies');

  it('are listed by absnas list with their options', () => {
    const r = runCli(['list', '--json']);
    expect(r.status).toBe(0);
    const listed = new Map((JSON.parse(r.stdout) as { package: string; kind: string; schema: { properties: object } }[]).map((p) => [p.package, p]));
    for (const name of PROXIES) {
      const p = listed.get(`@absnas/metric-${name}`);
      expect(p).toMatchObject({ kind: 'metric' });
      expect(Object.keys(p!.schema.properties)).toEqual(
        name === 'synflow' ? ['network'] : name === 'naswot' ? ['network', 'batchSize'] : ['network', 'batchSize', 'augment'],
      );
    }
    const text = runCli(['list']).stdout;
    for (const name of PROXIES) expect(text).toContain(`@absnas/metric-${name}@0.1.0  metric`);
  });

  it('are ranked by absnas rank against the benchmark, with their cost per child', () => {
    writeFakeBenchmark(path.join(dir, 'bench.csv'));
    const batch = { batchSize: 16, augment: false };
    const preset = {
      name: 'rank-proxies-tiny',
      backend: 'wasm',
      data: { dataset: 'synthetic', trainSize: 64, valSize: 16, testSize: 16 },
      space: { plugin: '@absnas/space-nb201', options: { channels: 2, cellsPerStage: 1 } },
      shrink: { train: { batchSize: 32, learningRate: 0.05 } },
      rank: {
        epochs: [1],
        accuracySample: 12,
        seeds: [0],
        column: 'c10_test_200',
        benchmark: './bench.csv',
        metrics: [
          { plugin: '@absnas/metric-angle', children: 'sample' },
          { plugin: '@absnas/metric-synflow', children: 'sample' },
          { plugin: '@absnas/metric-synflow', options: { network: 'supernet' }, label: 'synflow-supernet', children: 'sample' },
          { plugin: '@absnas/metric-naswot', options: { batchSize: 16 }, children: 'sample' },
          ...['grad-norm', 'snip', 'grasp', 'fisher'].map((n) => ({ plugin: `@absnas/metric-${n}`, options: batch, children: 'sample' })),
        ],
      },
    };
    fs.writeFileSync(path.join(dir, 'rank.json'), JSON.stringify(preset, null, 2));
    const out = path.join(dir, 'rank-out');
    const r = runCli(['rank', path.join(dir, 'rank.json'), '--out', out, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = JSON.parse(fs.readFileSync(path.join(out, 'ranking.json'), 'utf8'));
    const labels = result.metrics.map((m: { label: string }) => m.label);
    expect(labels).toEqual(['angle', 'synflow', 'synflow-supernet', 'naswot', 'grad-norm', 'snip', 'grasp', 'fisher']);
    for (const m of result.metrics) {
      const e = m.seeds[0].epochs[0];
      expect(e.children).toBe(12);
      expect(e.secondsPerChild).toBeGreaterThan(0);
      expect(e.secondsPerChild).toBeCloseTo(e.seconds / 12, 10);
      // the same 12 children for every metric: both correlations over all of them
      expect(e.kendallTauSample).toBeCloseTo(e.kendallTau, 12);
      expect(Math.abs(e.spearman)).toBeLessThanOrEqual(1);
    }
    // fresh networks and the supernet's child are different networks
    const byLabel = Object.fromEntries(result.metrics.map((m: { label: string }) => [m.label, m]));
    expect(byLabel.synflow.seeds[0].epochs[0].spearman).not.toBe(byLabel['synflow-supernet'].seeds[0].epochs[0].spearman);
    const md = fs.readFileSync(path.join(out, 'ranking.md'), 'utf8');
    expect(md).toContain('## Cost: seconds per child scored');
    expect(md).toContain('## Spearman rho on the common sample');
    expect(fs.readFileSync(path.join(out, 'ranking.csv'), 'utf8').split('\n')[0]).toMatch(/,seconds,seconds_per_child$/);
  });

  it('shrink the space for ABS: compare sets angle-shrunk against synflow-shrunk spaces for the same searcher', () => {
    const preset = path.join(dir, 'compare.json');
    fs.writeFileSync(
      preset,
      JSON.stringify({
        extends: path.join(ROOT, 'presets/quickstart.json'),
        name: 'cmp-proxy',
        data: { dataset: 'synthetic', trainSize: 128, valSize: 32, testSize: 32 },
        space: { plugin: '@absnas/space-nb201', options: { channels: 4, cellsPerStage: 1 } },
        shrink: { epochsBeforeFirstRound: 1, enumerateUpTo: 0, childrenPerOperator: 2, train: { batchSize: 32 } },
        compare: {
          searchers: [
            { plugin: '@absnas/spos', options: { epochs: 1, train: { batchSize: 32 }, evolution: { population: 4, iterations: 1, topK: 2, crossovers: 2, mutations: 2 }, recalibrationBatches: 1, evalBatchSize: 32 } },
          ],
          seeds: [0],
        },
      }),
    );
    const angle = path.join(dir, 'angle');
    const synflow = path.join(dir, 'synflow');
    const a = runCli(['compare', preset, '--out', angle, '--quiet']);
    expect(a.stderr).toBe('');
    expect(a.status).toBe(0);
    // the same searcher and seed; only the shrinking metric differs (the original space needs no second run)
    const s = runCli(['compare', preset, '--set', 'shrink.metric.plugin=@absnas/metric-synflow', '--set', 'compare.spaces=["abs"]', '--out', synflow, '--quiet']);
    expect(s.stderr).toBe('');
    expect(s.status).toBe(0);
    const shrunk = (d: string) => JSON.parse(fs.readFileSync(path.join(d, 'cells/spos-abs-seed0/shrunk-space.json'), 'utf8'));
    expect(shrunk(angle).metric).toBe('angle');
    expect(shrunk(synflow).metric).toBe('synflow');
    // the two metrics keep different operators
    expect(shrunk(synflow).candidates).not.toEqual(shrunk(angle).candidates);
    const table = (d: string) => JSON.parse(fs.readFileSync(path.join(d, 'compare.json'), 'utf8')).table[0];
    expect(table(angle)).toMatchObject({ searcher: 'spos', original: { n: 1 }, abs: { n: 1 } });
    expect(table(synflow)).toMatchObject({ searcher: 'spos', abs: { n: 1 } });
    expect(Number.isFinite(table(synflow).abs.mean)).toBe(true);
  });
});
