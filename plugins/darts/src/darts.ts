import {
  ArchitectureOptimizerOptions,
  Rng,
  SearchContext,
  SearchResult,
  Searcher,
  SearcherRequirements,
  TrainConfig,
  runBilevelStage,
} from '@absnas/core';

export interface DartsOptions {
  /** Search epochs (DARTS: 50). */
  epochs: number;
  /** 1: first-order DARTS; 2: the unrolled objective with the finite-difference Hessian-vector product. */
  order: 1 | 2;
  /** The weights' SGD on training batches (DARTS: batch 64, lr 0.025 cosine to 0.001, momentum 0.9, wd 3e-4, clip 5). */
  train: TrainConfig;
  /** Adam on alpha on validation batches (DARTS: lr 3e-4, betas (0.5, 0.999), wd 1e-3). */
  architecture: ArchitectureOptimizerOptions;
  /** BN recalibration batches before the derived child's test accuracy with inherited weights (0 = skip it). */
  recalibrationBatches: number;
  evalBatchSize: number;
}

/**
 * DARTS (Liu et al., ICLR 2019) over the given, possibly ABS-shrunk, space:
 * every mixed operator holds only the kept candidates of its choice point;
 * weights are trained by SGD on training batches and the architecture
 * weights alpha by Adam on validation batches, first or second order. The
 * final child is derived by the space (DARTS space: the genotype, top-2
 * inputs per node; NAS-Bench-201: the strongest operator per edge).
 * Checkpointed per step (alpha, its Adam state, the supernet, the SGD state,
 * the epoch history), so a killed search resumes exactly.
 */
export class DartsSearcher implements Searcher {
  readonly name = 'darts';
  readonly requirements: SearcherRequirements = { spaceKinds: ['cell'], mixtures: true };

  constructor(private readonly options: DartsOptions) {}

  async search(ctx: SearchContext): Promise<SearchResult> {
    const o = this.options;
    const rng: Rng = ctx.rng.fork('darts');
    const stage = await runBilevelStage(ctx, { space: ctx.space, candidates: ctx.candidates, options: o, key: 'search/darts', label: 'DARTS', rng });
    ctx.emit({ event: 'dartsResult', ops: stage.ops, probabilities: stage.probabilities });
    const metrics: Record<string, number> = {
      valAccuracySupernet: stage.valAccuracy,
      searchEpochs: stage.epochs.length,
      order: o.order,
    };
    if (!Number.isNaN(stage.testAccuracyInherited)) metrics.testAccuracyInherited = stage.testAccuracyInherited;
    return {
      architecture: stage.architecture,
      metrics,
      cost: ctx.space.cost(stage.architecture, ctx.data.input),
      history: {
        epochs: stage.epochs,
        choicePoints: ctx.space.choicePoints.map((p) => p.id),
        ops: stage.ops,
        probabilities: stage.probabilities,
        alpha: stage.alpha,
      },
    };
  }
}
