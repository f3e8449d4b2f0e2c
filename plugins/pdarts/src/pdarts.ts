import {
  Architecture,
  ArchitectureOptimizerOptions,
  BilevelEpochPlan,
  BilevelStageResult,
  CandidateSet,
  ConfigError,
  SearchContext,
  SearchResult,
  SearchSpace,
  Searcher,
  SearcherRequirements,
  TrainConfig,
  deriveArchitecture,
  runBilevelStage,
} from '@absnas/core';

export interface PdartsStage {
  /** Epochs of the stage (PDARTS: 25). */
  epochs: number;
  /** First epochs that train the weights only, alpha frozen (PDARTS: 10). */
  warmupEpochs: number;
  /** Space options for this stage's supernet, e.g. `{ layers: 11 }` (PDARTS deepens 5 -> 11 -> 17 cells). */
  space: Record<string, unknown>;
  /** Candidates each choice point keeps after the stage (PDARTS: 5, then 3; ignored after the last stage, whose child is derived). */
  keep: number;
  /** Dropout rate on skip-connections in this stage (PDARTS CIFAR-10: 0.1, 0.4, 0.7), decayed as PDARTS. */
  skipDropout: number;
}

export interface PdartsOptions {
  stages: PdartsStage[];
  /** 1 (PDARTS) or 2. */
  order: 1 | 2;
  train: TrainConfig;
  architecture: ArchitectureOptimizerOptions;
  /** Operators whose outputs the stage's dropout hits. */
  dropoutOps: string[];
  /** Decay of the dropout rate per epoch after the warm-up: rate * exp(-decay * (epoch - warmup)) (PDARTS: 0.2). */
  dropoutDecay: number;
  /** At most this many `skipOp` in the final child's scope (PDARTS: 2 in the normal cell; a negative value = no limit). */
  maxSkip: number;
  skipOp: string;
  /** Choice points whose id starts with this prefix form the restricted cell (DARTS space: 'normal:'); if none does, all do. */
  skipScope: string;
  /** The operator that marks an absent edge: never kept by the last stage's derivation when another remains (PDARTS drops Zero last). */
  noneOp: string;
  recalibrationBatches: number;
  evalBatchSize: number;
}

/**
 * PDARTS's dropout rate on skip-connections at epoch e (0-based) of a stage
 * of E epochs with W warm-up epochs: rate * (E - e - 1) / E during the
 * warm-up, rate * exp(-decay * (e - W)) after it.
 */
export function skipDropoutRate(rate: number, epoch: number, epochs: number, warmup: number, decay: number): number {
  if (!(rate > 0)) return 0;
  return epoch < warmup ? (rate * (epochs - epoch - 1)) / epochs : rate * Math.exp(-decay * (epoch - warmup));
}

/** Keep the `keep` strongest candidates of every choice point (by softmax(alpha); ties: the earlier candidate). */
export function keepStrongest(candidates: CandidateSet, stage: Pick<BilevelStageResult, 'ops' | 'probabilities'>, keep: number): CandidateSet {
  const lists = candidates.points.map((point, p) => {
    const ops = stage.ops[p];
    if (ops.length <= keep) return [...ops];
    const ranked = ops.map((op, k) => ({ op, k, w: stage.probabilities[p][k] })).sort((a, b) => b.w - a.w || a.k - b.k);
    const kept = new Set(ranked.slice(0, keep).map((r) => r.op));
    return point.candidates.filter((op) => kept.has(op));
  });
  return new CandidateSet(candidates.points, lists);
}

/** The choice points whose skip-connections are limited: ids starting with `prefix`, or all when none does. */
export function skipScope(space: SearchSpace, prefix: string): number[] {
  const scoped = space.choicePoints.map((pt, p) => (pt.id.startsWith(prefix) ? p : -1)).filter((p) => p >= 0);
  return scoped.length > 0 ? scoped : space.choicePoints.map((_, p) => p);
}

/**
 * The final child of PDARTS from the last stage's weights: `none` set to 0
 * wherever another candidate remains, the child derived by the space, then,
 * while the scope holds more than `maxSkip` skip-connections, the weakest
 * chosen skip-connection's weight set to 0 and the child derived again (the
 * reference's delete_min_sk_prob / keep_1_on / keep_2_branches loop). Stops
 * short of the limit only when no chosen skip-connection can give way.
 */
export function pdartsDerive(space: SearchSpace, weights: readonly Float32Array[], o: Pick<PdartsOptions, 'maxSkip' | 'skipOp' | 'skipScope' | 'noneOp'>): Architecture {
  const w = weights.map((row) => Float32Array.from(row));
  space.choicePoints.forEach((point, p) => {
    const k = point.candidates.indexOf(o.noneOp);
    if (k >= 0 && w[p].some((v, j) => j !== k && v > 0)) w[p][k] = 0;
  });
  const scope = skipScope(space, o.skipScope);
  let arch = deriveArchitecture(space, w);
  if (o.maxSkip < 0) return arch;
  const skipIndex = (p: number): number => space.choicePoints[p].candidates.indexOf(o.skipOp);
  // a choice point can give its skip-connection up if the space derives around it (a DARTS edge
  // without candidates loses to the others) or another candidate remains
  const removable = (p: number): boolean => space.derive !== undefined || w[p].some((v, k) => k !== skipIndex(p) && v > 0);
  for (;;) {
    const chosen = scope.filter((p) => arch[p] === o.skipOp);
    if (chosen.length <= o.maxSkip) return arch;
    const skips = chosen.filter(removable);
    if (skips.length === 0) return arch; // nothing left to give way: the limit cannot be met
    const weakest = skips.reduce((a, b) => {
      const wa = w[a][space.choicePoints[a].candidates.indexOf(o.skipOp)];
      const wb = w[b][space.choicePoints[b].candidates.indexOf(o.skipOp)];
      return wb < wa ? b : a;
    });
    w[weakest][space.choicePoints[weakest].candidates.indexOf(o.skipOp)] = 0;
    arch = deriveArchitecture(space, w);
  }
}

interface PdartsState {
  /** The next stage to run (0-based). */
  stage: number;
  lists: string[][];
  stages: { stage: number; space: Record<string, unknown>; candidates: Record<string, string[]>; epochs: unknown[] }[];
}

/**
 * Progressive DARTS (Chen et al., ICCV 2019): stages of bilevel search on
 * ever deeper supernets (space options per stage, through the space's
 * `withOptions`), each starting from fresh weights and alpha; after a stage
 * every choice point keeps its strongest candidates; dropout on
 * skip-connections regularises each stage; the final child is derived from
 * the last stage with at most `maxSkip` skip-connections in the normal cell.
 * Starts from the given candidates (the ABS-shrunk lists when ABS ran).
 */
export class PdartsSearcher implements Searcher {
  readonly name = 'pdarts';
  readonly requirements: SearcherRequirements = { spaceKinds: ['cell'], mixtures: true };

  constructor(private readonly options: PdartsOptions) {}

  async search(ctx: SearchContext): Promise<SearchResult> {
    const o = this.options;
    if (o.stages.length === 0) throw new ConfigError('pdarts: at least one stage is needed');
    const spaces = o.stages.map((s, i) => {
      if (Object.keys(s.space).length === 0) return ctx.space;
      if (!ctx.space.withOptions) {
        throw new ConfigError(`pdarts: stage ${i + 1} sets space options, but space '${ctx.space.name}' cannot change its options (withOptions)`);
      }
      return ctx.space.withOptions(s.space);
    });
    const state: PdartsState = { stage: 0, lists: ctx.candidates.lists.map((l) => [...l]), stages: [] };
    ctx.checkpoints?.register('search/pdarts', {
      capture: () => ({ state }),
      restore: (saved) => Object.assign(state, saved as PdartsState),
    });
    const rngs = o.stages.map((_, i) => ctx.rng.fork(`stage${i + 1}`));
    let last: BilevelStageResult | undefined;
    let architecture: Architecture | undefined;
    try {
      while (state.stage < o.stages.length) {
        const i = state.stage;
        const s = o.stages[i];
        const isLast = i === o.stages.length - 1;
        const candidates = new CandidateSet(ctx.space.choicePoints, state.lists);
        const plan = (epoch: number): BilevelEpochPlan => ({
          updateArchitecture: epoch >= s.warmupEpochs,
          dropout: { ops: o.dropoutOps, rate: skipDropoutRate(s.skipDropout, epoch, s.epochs, s.warmupEpochs, o.dropoutDecay) },
        });
        const space = spaces[i];
        const derive = (w: Float32Array[]): Architecture => pdartsDerive(space, w, o);
        const result = await runBilevelStage(ctx, {
          space,
          candidates,
          options: { epochs: s.epochs, order: o.order, train: o.train, architecture: o.architecture, plan, recalibrationBatches: isLast ? o.recalibrationBatches : 0, evalBatchSize: o.evalBatchSize },
          key: `search/stage${i + 1}`,
          label: `PDARTS stage ${i + 1}/${o.stages.length}`,
          rng: rngs[i],
          derive,
        });
        state.stages.push({ stage: i + 1, space: s.space, candidates: candidates.toJSON(), epochs: result.epochs });
        if (isLast) {
          last = result;
          architecture = result.architecture;
        } else {
          const next = keepStrongest(candidates, result, s.keep);
          state.lists = next.lists.map((l) => [...l]);
          ctx.emit({ event: 'pdartsStage', stage: i + 1, kept: next.toJSON(), size: next.size() });
          ctx.progress.log(`PDARTS stage ${i + 1}: kept ${s.keep} candidate(s) per choice point (${candidates.size()} -> ${next.size()} children)`);
        }
        state.stage++;
        if (!isLast) await ctx.checkpoints?.save(`pdarts stage ${i + 1} done`);
      }
    } finally {
      ctx.checkpoints?.unregister('search/pdarts');
    }
    if (!last || !architecture) throw new Error('pdarts: the last stage did not run (internal error)');
    const metrics: Record<string, number> = {
      valAccuracySupernet: last.valAccuracy,
      stages: o.stages.length,
      skipConnections: skipScope(ctx.space, o.skipScope).filter((p) => architecture[p] === o.skipOp).length,
    };
    if (!Number.isNaN(last.testAccuracyInherited)) metrics.testAccuracyInherited = last.testAccuracyInherited;
    return {
      architecture,
      metrics,
      cost: ctx.space.cost(architecture, ctx.data.input),
      history: {
        stages: state.stages,
        choicePoints: ctx.space.choicePoints.map((p) => p.id),
        ops: last.ops,
        probabilities: last.probabilities,
      },
    };
  }
}
