import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backend';
import { Nb201Benchmark } from '../benchmarks/nb201';
import { loadData } from '../data/load';
import type { DataSplits } from '../data/dataset';
import type { Participation } from '../metric/metric';
import type { RunDirectory } from '../run/run-dir';
import { CandidateSet, operatorKey } from '../space/candidates';
import { type Architecture, type Supernet, trainingPath } from '../space/search-space';
import { kendallTauB, spearman } from '../stats/rank-correlation';
import { StepSampler, SupernetTrainer } from '../train/trainer';
import { UserError } from '../util/errors';
import type { Progress } from '../util/progress';
import { Rng } from '../util/rng';
import type { RankAssembly, RankMetric } from './assemble';
import { childAt, samplePositions } from './children';
import { groundTruth, topOperators } from './ground-truth';
import { dropAndCount, operatorScores } from './operators';
import { MeanStd, meanStd } from './summary';

/** The operator-dropping experiment of the paper on NAS-Bench-201: drop 20 of the 30 operators, count survivors of the true top 10. */
export const DROP_COUNT = 20;
export const TOP_COUNT = 10;
/** Metrics with `children: 'all'` enumerate the space; refuse spaces larger than this. */
export const MAX_ENUMERATED = 200_000;

export interface RankEpochScore {
  epoch: number;
  /** Children scored. */
  children: number;
  kendallTau: number;
  spearman: number;
  /** Over the seed's common sample of children (scored by every metric). */
  kendallTauSample: number;
  spearmanSample: number;
  /** Seconds spent scoring (the metric's preparation included). */
  seconds: number;
  /** `seconds` per child scored: a metric's cost. */
  secondsPerChild: number;
  /** Survivors of the benchmark's top operators if the metric dropped operators at this epoch (the drop curve). */
  keptOfTop: number;
}

export interface RankOperatorOutcome {
  epoch: number;
  scores: { choicePoint: string; op: string; score: number; children: number }[];
  dropped: { choicePoint: string; op: string }[];
  /** How many of the benchmark's top operators survive the drop. */
  keptOfTop: number;
}

export interface RankSeedResult {
  seed: number;
  epochs: RankEpochScore[];
  operators?: RankOperatorOutcome;
}

export interface RankMetricResult {
  label: string;
  plugin: string;
  options: Record<string, unknown>;
  children: 'all' | 'sample';
  /** 'shared': scored on the seed's uniformly trained supernet; 'own': on a supernet trained with the metric taking part. */
  supernet: 'shared' | 'own';
  seeds: RankSeedResult[];
  summary: {
    epoch: number;
    children: number;
    kendallTau: MeanStd;
    spearman: MeanStd;
    kendallTauSample: MeanStd;
    spearmanSample: MeanStd;
    secondsPerChild: MeanStd;
    keptOfTop: MeanStd;
  }[];
  keptOfTop: MeanStd;
}

export interface RankTrainingRecord {
  seed: number;
  /** 'uniform' or the label of the metric that took part. */
  supernet: string;
  epoch: number;
  loss: number;
  trainAccuracy: number;
  learningRate: number;
  seconds: number;
}

export interface RankResult {
  name: string;
  space: string;
  spaceOptions: Record<string, unknown>;
  data: { dataset: string; train: number; val: number; test: number };
  benchmark: string;
  column: string;
  epochs: number[];
  /** Training epochs before the base weights W0 were taken (0: as built). */
  baseEpoch: number;
  seeds: number[];
  sampleSize: number;
  spaceSize: number;
  topOperators: { choicePoint: string; op: string; mean: number }[];
  /** Survivors of the top operators when the benchmark's own operator means decide the drop (the best possible). */
  oracleKeptOfTop: number;
  dropCount: number;
  topCount: number;
  metrics: RankMetricResult[];
  training: RankTrainingRecord[];
  backend: string;
  seconds: { total: number; training: number; scoring: number };
}

/** A metric's result over its seeds: per epoch the mean and deviation across seeds, and the operators kept. */
function summarizeMetric(
  metric: Omit<RankMetricResult, 'seeds' | 'summary' | 'keptOfTop'>,
  seeds: RankSeedResult[],
  epochs: readonly number[],
): RankMetricResult {
  return {
    ...metric,
    seeds,
    summary: epochs.map((epoch, k) => {
      const rows = seeds.map((s) => s.epochs[k]);
      // an undefined correlation is NaN, written to ranking.json as null
      const over = (f: (r: RankEpochScore) => number | null) => meanStd(rows.map((r) => f(r) ?? NaN));
      return {
        epoch,
        children: rows[0]?.children ?? 0,
        kendallTau: over((r) => r.kendallTau),
        spearman: over((r) => r.spearman),
        kendallTauSample: over((r) => r.kendallTauSample),
        spearmanSample: over((r) => r.spearmanSample),
        secondsPerChild: over((r) => r.secondsPerChild),
        keptOfTop: over((r) => r.keptOfTop),
      };
    }),
    keptOfTop: meanStd(seeds.map((s) => s.operators?.keptOfTop ?? NaN)),
  };
}

/**
 * One ranking from rankings of single seeds (`absnas rank --queue` runs one
 * job per seed): the seeds side by side, their summaries over all seeds, as
 * if one run had done them in this order.
 */
export function mergeRankResults(parts: readonly RankResult[]): RankResult {
  if (parts.length === 0) throw new Error('mergeRankResults needs at least one result');
  const first = parts[0];
  const metrics = first.metrics.map((m) => {
    const { seeds: _s, summary: _u, keptOfTop: _k, ...metric } = m;
    const seeds = parts.flatMap((p) => p.metrics.find((x) => x.label === m.label)?.seeds ?? []);
    return summarizeMetric(metric, seeds, first.epochs);
  });
  const sum = (f: (p: RankResult) => number) => parts.reduce((a, p) => a + f(p), 0);
  return {
    ...first,
    seeds: parts.flatMap((p) => p.seeds),
    metrics,
    training: parts.flatMap((p) => p.training),
    seconds: { total: sum((p) => p.seconds.total), training: sum((p) => p.seconds.training), scoring: sum((p) => p.seconds.scoring) },
  };
}

/** An independent random stream for one purpose of one seed: the same whatever else the run does. */
export function stream(seed: number, ...labels: (string | number)[]): Rng {
  return new Rng(seed).fork(labels.join('/'));
}

interface TrainingGroup {
  /** 'uniform', or the label of the metric that takes part in training. */
  key: string;
  owner?: RankMetric;
  metrics: RankMetric[];
}

/**
 * Metrics that only read the supernet share one uniformly trained supernet
 * per seed. A metric that takes part in training (magnitude) changes how the
 * supernet is trained, so it gets a supernet of its own, built from the same
 * initial weights and trained on the same data order.
 */
export function trainingGroups(metrics: readonly RankMetric[]): TrainingGroup[] {
  const shared = metrics.filter((m) => !m.metric.participate);
  const own = metrics.filter((m) => m.metric.participate);
  return [
    ...(shared.length > 0 ? [{ key: 'uniform', metrics: shared }] : []),
    ...own.map((m) => ({ key: m.label, owner: m, metrics: [m] })),
  ];
}

function correlations(scores: ArrayLike<number>, truth: ArrayLike<number>): { tau: number; rho: number } {
  const x = Array.from(scores);
  const y = Array.from(truth);
  if (x.length < 2) return { tau: NaN, rho: NaN };
  return { tau: kendallTauB(x, y), rho: spearman(x, y) };
}

/**
 * `absnas rank`: train the supernet(s) of every seed, and after each chosen
 * epoch let every metric score children; report each metric's rank
 * correlation with the benchmark, and at the last epoch how many of the
 * benchmark's best operators survive when the metric drops operators.
 */
export async function runRank(assembly: RankAssembly, runDir: RunDirectory, progress: Progress): Promise<RankResult> {
  const { config, space, metrics, hooks } = assembly;
  const rank = config.rank;
  const began = Date.now();
  const backend = await selectBackend(config.backend, (m) => progress.log(m));
  runDir.writeJson('config.json', config);
  const bench = Nb201Benchmark.load(assembly.benchmarkFile);
  if (!bench.columns().includes(rank.column)) {
    throw new UserError(`rank.column: '${rank.column}' is not a column of ${bench.file} (columns: ${bench.columns().join(', ')})`);
  }
  const data: DataSplits = loadData(config.data, config.seed);
  progress.log(`data: ${data.name} train ${data.train.count}, val ${data.val.count}, test ${data.test.count}`);
  const full = new CandidateSet(space.choicePoints);
  const size = full.size();
  const epochs = [...rank.epochs];
  const lastEpoch = epochs[epochs.length - 1];
  const horizon = Math.max(rank.horizonEpochs ?? 0, lastEpoch);
  const groups = trainingGroups(metrics);
  const baseAt = rank.baseWeights?.takeAfterEpochs ?? 0;
  if (baseAt > 0 && epochs[0] <= baseAt) throw new UserError(`rank: every scoring epoch must come after the base epoch ${baseAt}`);
  const needAll = metrics.some((m) => m.ref.children === 'all');
  if (needAll && size > MAX_ENUMERATED) {
    throw new UserError(`rank: a metric scores every child, but space '${space.name}' has ${size} (at most ${MAX_ENUMERATED})`);
  }
  runDir.emit({
    event: 'rankStart',
    name: config.name,
    backend: backend.name,
    benchmark: bench.file,
    column: rank.column,
    epochs,
    baseEpoch: baseAt,
    seeds: rank.seeds,
    metrics: metrics.map((m) => ({ label: m.label, plugin: m.plugin.name, children: m.ref.children })),
  });
  progress.log(
    `rank: ${metrics.map((m) => m.label).join(', ')} against ${rank.column}; epochs ${epochs.join(', ')}; ` +
      `${rank.seeds.length} seed(s); ${groups.length} supernet(s) per seed`,
  );

  // the ground truth
  const allChildren: Architecture[] = needAll ? [...full.enumerate()] : [];
  const truthAll = needAll ? groundTruth(bench, space, allChildren, rank.column) : new Float64Array(0);
  const top = topOperators(bench, space, rank.column, TOP_COUNT);
  const ids = space.choicePoints.map((p) => p.id);
  const benchMeans = new Map(bench.operatorRanking(rank.column).map((r) => [operatorKey({ point: ids.indexOf(r.edge), op: r.op }), r.mean]));
  const oracle = dropAndCount(
    { kind: 'global', count: DROP_COUNT },
    full.scorableOperators().map((o) => ({ ...o, score: benchMeans.get(operatorKey(o)) ?? -Infinity, children: 0 })),
    full,
    top,
  );

  const perMetric = new Map<string, RankSeedResult[]>(metrics.map((m) => [m.label, []]));
  const training: RankTrainingRecord[] = [];
  let trainingSeconds = 0;
  let scoringSeconds = 0;

  for (const seed of rank.seeds) {
    const positions = samplePositions(size, rank.accuracySample, stream(seed, 'children'));
    const sample = positions.map((i) => childAt(full, i));
    const truthSample = groundTruth(bench, space, sample, rank.column);
    for (const group of groups) {
      const supernet: Supernet = space.createSupernet(data.input, stream(seed, 'supernet'));
      let base = await supernet.store.read();
      await hooks.series('onSupernetBuilt', { phase: 'rank', space, supernet, candidates: full });
      const trainer = new SupernetTrainer(supernet, { data, train: config.shrink.train, rng: stream(seed, 'train'), phase: 'rank' }, { hooks, progress, emit: (e) => runDir.emit(e) });
      let participation: Participation | undefined;
      if (group.owner) {
        participation = group.owner.metric.participate!({ space, supernet, candidates: () => full, rng: stream(seed, 'participate') });
      }
      const sampler: StepSampler = participation?.sampler ?? ((rng: Rng) => [trainingPath(space, full, rng)]);
      const seedResults = new Map<string, RankSeedResult>(group.metrics.map((m) => [m.label, { seed, epochs: [] }]));
      // train on to `epoch` (of the `horizon`-epoch schedule), recording every epoch
      const trainTo = async (epoch: number): Promise<void> => {
        progress.log(`seed ${seed}, ${group.key} supernet: training to epoch ${epoch} of ${horizon}`);
        const t0 = Date.now();
        const { stats } = await trainer.train(epoch - trainer.epochsDone, horizon, sampler, participation?.participant);
        trainingSeconds += (Date.now() - t0) / 1000;
        for (const s of stats) {
          const record: RankTrainingRecord = {
            seed,
            supernet: group.key,
            epoch: s.epoch,
            loss: s.loss,
            trainAccuracy: s.trainAccuracy,
            learningRate: s.learningRate,
            seconds: s.seconds,
          };
          training.push(record);
          runDir.emit({ event: 'epochEnd', ...record });
        }
      };
      try {
        if (baseAt > 0) {
          // the released NB201 ranking pipeline measures angles from the checkpoint after its first epoch
          await trainTo(baseAt);
          base = await supernet.store.read();
          progress.log(`seed ${seed}, ${group.key} supernet: base weights W0 taken after epoch ${baseAt}`);
        }
        for (const epoch of epochs) {
          if (epoch > trainer.epochsDone) await trainTo(epoch);
          for (const m of group.metrics) {
            const t0 = Date.now();
            const scorer = await m.metric.prepare({
              space,
              supernet,
              candidates: full,
              base,
              data,
              rng: stream(seed, 'metric', m.label, epoch),
            });
            const children = m.ref.children === 'all' ? allChildren : sample;
            const scores = new Float64Array(children.length);
            const task = progress.start(`seed ${seed} epoch ${epoch}: ${m.label} on ${children.length} children`, children.length);
            try {
              for (let i = 0; i < children.length; i++) {
                scores[i] = await scorer.score(children[i]);
                task.tick();
              }
            } finally {
              scorer.dispose?.();
            }
            const seconds = (Date.now() - t0) / 1000;
            scoringSeconds += seconds;
            task.done();
            const truth = m.ref.children === 'all' ? truthAll : truthSample;
            const onSample = m.ref.children === 'all' ? Float64Array.from(positions, (p) => scores[p]) : scores;
            const c = correlations(scores, truth);
            const cs = correlations(onSample, truthSample);
            // the drop at every epoch gives the curve of kept operators against training
            const opScores = operatorScores(full, children, scores);
            const outcome = dropAndCount({ kind: 'global', count: DROP_COUNT }, opScores, full, top);
            const row: RankEpochScore = {
              epoch,
              children: children.length,
              kendallTau: c.tau,
              spearman: c.rho,
              kendallTauSample: cs.tau,
              spearmanSample: cs.rho,
              seconds,
              secondsPerChild: seconds / Math.max(children.length, 1),
              keptOfTop: outcome.keptOfReference,
            };
            const result = seedResults.get(m.label)!;
            result.epochs.push(row);
            progress.log(
              `seed ${seed} epoch ${epoch}: ${m.label}: tau ${row.kendallTau.toFixed(3)}, spearman ${row.spearman.toFixed(3)} ` +
                `over ${row.children} children, a drop now keeps ${row.keptOfTop} of the top ${TOP_COUNT} ` +
                `(${seconds.toFixed(1)} s, ${row.secondsPerChild.toPrecision(3)} s per child)`,
            );
            runDir.emit({ event: 'rankScore', seed, metric: m.label, ...row });
            if (epoch === lastEpoch) {
              result.operators = {
                epoch,
                scores: opScores.map((o) => ({ choicePoint: ids[o.point], op: o.op, score: o.score, children: o.children })),
                dropped: outcome.dropped.map((o) => ({ choicePoint: ids[o.point], op: o.op })),
                keptOfTop: outcome.keptOfReference,
              };
              progress.log(`seed ${seed}: dropping ${DROP_COUNT} operators by ${m.label} keeps ${outcome.keptOfReference} of the top ${TOP_COUNT}`);
              runDir.emit({ event: 'rankOperators', seed, metric: m.label, ...result.operators });
            }
          }
        }
      } finally {
        participation?.dispose?.();
        trainer.dispose();
        supernet.dispose();
      }
      for (const [label, r] of seedResults) perMetric.get(label)!.push(r);
    }
  }

  const metricResults: RankMetricResult[] = metrics.map((m) =>
    summarizeMetric(
      { label: m.label, plugin: m.plugin.name, options: m.ref.options, children: m.ref.children, supernet: m.metric.participate ? 'own' : 'shared' },
      perMetric.get(m.label)!,
      epochs,
    ),
  );
  const result: RankResult = {
    name: config.name,
    space: space.name,
    spaceOptions: config.space.options,
    data: { dataset: data.name, train: data.train.count, val: data.val.count, test: data.test.count },
    benchmark: path.basename(bench.file),
    column: rank.column,
    epochs,
    baseEpoch: baseAt,
    seeds: [...rank.seeds],
    sampleSize: Math.min(rank.accuracySample, size),
    spaceSize: size,
    topOperators: top.map((o) => ({ choicePoint: ids[o.point], op: o.op, mean: o.mean })),
    oracleKeptOfTop: oracle.keptOfReference,
    dropCount: DROP_COUNT,
    topCount: TOP_COUNT,
    metrics: metricResults,
    training,
    backend: backend.name,
    seconds: { total: (Date.now() - began) / 1000, training: trainingSeconds, scoring: scoringSeconds },
  };
  runDir.emit({ event: 'rankEnd', seconds: result.seconds, tensors: tf.memory().numTensors });
  return result;
}
