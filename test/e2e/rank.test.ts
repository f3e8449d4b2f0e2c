import * as fs from 'fs';
import * as path from 'path';
import { PLUGIN_API_VERSION } from '@absnas/core';
import { KNOWN, writeFakeBenchmark } from './fake-benchmark';
import { runCli, tempDir } from './helpers';

/** A metric plugin (plain JS, by path) that scores a child with the benchmark's own function: its tau must be 1. */
const ORACLE_PLUGIN = `
const known = ${KNOWN};
module.exports = {
  name: 'oracle-metric',
  apiVersion: '${PLUGIN_API_VERSION}',
  kind: 'metric',
  schema: { type: 'object', additionalProperties: false, properties: {} },
  register(container) {
    container.register(Symbol.for('absnas.Metric'), {
      useValue: { name: 'oracle', prepare: async () => ({ score: (arch) => known(arch) }) },
    });
  },
};
`;

describe('absnas rank on a tiny synthetic config with a fake benchmark', () => {
  const dir = tempDir('rank');
  const out = path.join(dir, 'out');
  let run: ReturnType<typeof runCli>;

  beforeAll(() => {
    writeFakeBenchmark(path.join(dir, 'bench.csv'));
    fs.writeFileSync(path.join(dir, 'oracle-metric.js'), ORACLE_PLUGIN);
    const preset = {
      name: 'rank-tiny',
      backend: 'wasm',
      data: { dataset: 'synthetic', trainSize: 128, valSize: 64, testSize: 32 },
      space: { plugin: '@absnas/space-nb201', options: { channels: 2, cellsPerStage: 1 } },
      shrink: { train: { batchSize: 32, learningRate: 0.05 } },
      rank: {
        epochs: [1, 2],
        accuracySample: 40,
        seeds: [0, 1],
        column: 'c10_test_200',
        benchmark: './bench.csv',
        metrics: [
          { plugin: '@absnas/metric-angle', children: 'all' },
          { plugin: '@absnas/metric-accuracy', options: { recalibrate: true, recalibrationBatches: 1, batchSize: 64 } },
          { plugin: '@absnas/metric-accuracy', options: { recalibrate: false, batchSize: 64 } },
          { plugin: '@absnas/metric-random', children: 'all' },
          { plugin: '@absnas/metric-magnitude', children: 'all' },
          { plugin: './oracle-metric.js', children: 'all' },
        ],
      },
    };
    fs.writeFileSync(path.join(dir, 'preset.json'), JSON.stringify(preset, null, 2));
    run = runCli(['rank', path.join(dir, 'preset.json'), '--out', out, '--quiet']);
  });

  it('writes the tables, the plot and the events', () => {
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    for (const f of ['config.json', 'events.jsonl', 'ranking.md', 'ranking.csv', 'ranking.json', 'tau.svg']) {
      expect(fs.existsSync(path.join(out, f))).toBe(true);
    }
    const csv = fs.readFileSync(path.join(out, 'ranking.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(1 + 6 * 2 * 2);
    const svg = fs.readFileSync(path.join(out, 'tau.svg'), 'utf8');
    expect(svg.match(/<g class="series"/g)).toHaveLength(6);
    const md = fs.readFileSync(path.join(out, 'ranking.md'), 'utf8');
    for (const label of ['angle', 'accuracy-rebn', 'accuracy', 'random', 'magnitude', 'oracle']) expect(md).toContain(`| ${label} |`);
    const events = fs
      .readFileSync(path.join(out, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).event);
    expect(events[0]).toBe('rankStart');
    expect(events[events.length - 1]).toBe('rankEnd');
    // 2 seeds x 2 supernets (uniform, magnitude's own) x 2 epochs
    expect(events.filter((e) => e === 'epochEnd')).toHaveLength(8);
    expect(events.filter((e) => e === 'rankScore')).toHaveLength(6 * 2 * 2);
    expect(events.filter((e) => e === 'rankOperators')).toHaveLength(6 * 2);
    expect(run.stdout).toContain('Kendall tau-b against c10_test_200 at epoch 2');
  });

  it('measures rank correlation and operator survival correctly against the known ground truth', () => {
    const r = JSON.parse(fs.readFileSync(path.join(out, 'ranking.json'), 'utf8'));
    const byLabel = Object.fromEntries(r.metrics.map((m: { label: string }) => [m.label, m]));
    expect(r.spaceSize).toBe(15625);
    expect(r.sampleSize).toBe(40);
    // the oracle scores with the ground truth's own function: perfect correlation, best possible survival
    for (const s of byLabel.oracle.seeds) {
      for (const e of s.epochs) {
        expect(e.kendallTau).toBeCloseTo(1, 12);
        expect(e.spearman).toBeCloseTo(1, 12);
        // its scores of the common sample are looked up by position among all children
        expect(e.kendallTauSample).toBeCloseTo(1, 12);
        expect(e.children).toBe(15625);
      }
      expect(s.operators.keptOfTop).toBe(r.oracleKeptOfTop);
      // the drop curve: the drop made after every scored epoch
      for (const e of s.epochs) expect(e.keptOfTop).toBe(r.oracleKeptOfTop);
    }
    for (const m of r.metrics) for (const s of m.seeds) expect(s.epochs[s.epochs.length - 1].keptOfTop).toBe(s.operators.keptOfTop);
    // by hand: the mean over cells with op on edge i is (w[op] - 2.6) * (10 + i) + const, so the top 10 are
    // nor_conv_3x3 on the six edges, then nor_conv_1x1 on edges 5, 4, 3, 2; dropping the 20 lowest keeps exactly them
    expect(r.topOperators.map((o: { op: string; choicePoint: string }) => `${o.op}@${o.choicePoint}`)).toEqual([
      ...['3<-2', '3<-1', '3<-0', '2<-1', '2<-0', '1<-0'].map((e) => `nor_conv_3x3@${e}`),
      ...['3<-2', '3<-1', '3<-0', '2<-1'].map((e) => `nor_conv_1x1@${e}`),
    ]);
    expect(r.oracleKeptOfTop).toBe(10);
    // random over all 15,625 children: |tau| is about 0.006 (one standard deviation), tested at 5
    for (const s of byLabel.random.seeds) for (const e of s.epochs) expect(Math.abs(e.kendallTau)).toBeLessThan(0.03);
    expect(byLabel.random.seeds[0].epochs[0].kendallTau).not.toBe(byLabel.random.seeds[1].epochs[0].kendallTau);
    for (const label of ['angle', 'accuracy-rebn', 'accuracy', 'magnitude']) {
      const m = byLabel[label];
      expect(m.seeds).toHaveLength(2);
      for (const s of m.seeds) for (const e of s.epochs) expect(Math.abs(e.kendallTau)).toBeLessThanOrEqual(1);
      expect(m.summary.map((x: { epoch: number }) => x.epoch)).toEqual([1, 2]);
      expect(Number.isFinite(m.summary[1].kendallTau.mean)).toBe(true);
    }
    expect(byLabel.magnitude.supernet).toBe('own');
    expect(byLabel.angle.supernet).toBe('shared');
    expect(byLabel.angle.seeds[0].epochs[0].children).toBe(15625);
    expect(byLabel['accuracy-rebn'].seeds[0].epochs[0].children).toBe(40);
  });

  it('takes W0 after an epoch when asked: the same training, other angles; a scoring epoch not after it is refused', () => {
    const later = path.join(dir, 'base-after-1');
    const sets = ['--set', 'rank.baseWeights.takeAfterEpochs=1', '--set', 'rank.epochs=[2]', '--set', 'rank.seeds=[0]'];
    const metrics = '[{"plugin":"@absnas/metric-angle","children":"all"},{"plugin":"@absnas/metric-angle","options":{"allCut":"fixed-parts"},"children":"all"}]';
    const res = runCli(['rank', path.join(dir, 'preset.json'), ...sets, '--set', `rank.metrics=${metrics}`, '--out', later, '--quiet']);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    const r = JSON.parse(fs.readFileSync(path.join(later, 'ranking.json'), 'utf8'));
    const first = JSON.parse(fs.readFileSync(path.join(out, 'ranking.json'), 'utf8'));
    expect(r.baseEpoch).toBe(1);
    expect(first.baseEpoch).toBe(0);
    expect(fs.readFileSync(path.join(later, 'ranking.md'), 'utf8')).toContain('W0 of the angle: the supernet after epoch 1');
    // training is the same as the first run's (seed 0, uniform supernet): only W0 differs
    const loss = (x: typeof r, epoch: number) =>
      x.training.find((t: { seed: number; supernet: string; epoch: number }) => t.seed === 0 && t.supernet === 'uniform' && t.epoch === epoch).loss;
    expect(loss(r, 2)).toBe(loss(first, 2));
    const angleAt2 = (x: typeof r, label: string) => x.metrics.find((m: { label: string }) => m.label === label).seeds[0].epochs[x.epochs.length - 1];
    expect(angleAt2(r, 'angle').kendallTau).not.toBe(angleAt2(first, 'angle').kendallTau);
    // the two all-cut conventions differ only on the all-cut children, which rank differently
    expect(angleAt2(r, 'angle#2').kendallTau).not.toBe(angleAt2(r, 'angle').kendallTau);
    const bad = runCli(['rank', path.join(dir, 'preset.json'), '--set', 'rank.baseWeights.takeAfterEpochs=1', '--out', path.join(dir, 'bad-base'), '--quiet']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('/rank/baseWeights/takeAfterEpochs: W0 is taken after epoch 1');
  });

  it('runs the learning-rate schedule over rank.horizonEpochs, and refuses one shorter than the training', () => {
    const long = path.join(dir, 'horizon-4');
    const sets = ['--set', 'rank.horizonEpochs=4', '--set', 'rank.epochs=[2]', '--set', 'rank.seeds=[0]'];
    const res = runCli(['rank', path.join(dir, 'preset.json'), ...sets, '--set', 'rank.metrics=[{"plugin":"@absnas/metric-random"}]', '--out', long, '--quiet']);
    expect(res.status).toBe(0);
    const r = JSON.parse(fs.readFileSync(path.join(long, 'ranking.json'), 'utf8'));
    // cosine from 0.05 to 0.001: epoch 2 starts a quarter of the way down a 4-epoch schedule
    const want = 0.001 + ((0.05 - 0.001) * (1 + Math.cos(Math.PI / 4))) / 2;
    expect(r.training.map((t: { epoch: number }) => t.epoch)).toEqual([1, 2]);
    expect(r.training[1].learningRate).toBeCloseTo(want, 12);
    // the operator-dropping experiment still runs at the last scored epoch
    expect(r.metrics[0].seeds[0].operators.epoch).toBe(2);
    const bad = runCli(['rank', path.join(dir, 'preset.json'), '--set', 'rank.horizonEpochs=1', '--out', path.join(dir, 'bad-horizon'), '--quiet']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('/rank/horizonEpochs: the schedule must cover the training');
  });

  it('rejects epochs that are not ascending, naming the key', () => {
    const bad = runCli(['rank', path.join(dir, 'preset.json'), '--set', 'rank.epochs=[2,1]', '--out', path.join(dir, 'bad'), '--quiet']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('/rank/epochs: expected ascending epochs');
  });
});
