import {
  Architecture,
  evaluateChild,
  evolutionarySearch,
  EvolutionOptions,
  Rng,
  SearchContext,
  Searcher,
  SearchResult,
  SupernetTrainer,
  TrainConfig,
} from '@absnas/core';

export interface SposOptions {
  /** Supernet training epochs (uniform single-path sampling). */
  epochs: number;
  train: TrainConfig;
  evolution: EvolutionOptions;
  /** Reject children above this many FLOPs (0 = no limit). */
  maxFlops: number;
  /** Training batches for BN recalibration before each candidate is scored. */
  recalibrationBatches: number;
  /** Batch size for recalibration and evaluation. */
  evalBatchSize: number;
}

/**
 * Single Path One-Shot (Guo et al.): a fresh supernet over the given
 * (possibly ABS-shrunk) space, trained with one uniformly sampled path per
 * step, then evolutionary search scored by validation accuracy after BN
 * recalibration.
 */
export class SposSearcher implements Searcher {
  readonly name = 'spos';
  readonly requirements = {};

  constructor(private readonly options: SposOptions) {}

  async search(ctx: SearchContext): Promise<SearchResult> {
    const { space, candidates, data, hooks, progress } = ctx;
    const o = this.options;
    const supernet = space.createSupernet(data.input, ctx.rng.fork('supernet'));
    try {
      await hooks.series('onSupernetBuilt', { phase: 'search', space, supernet, candidates });
      const trainer = new SupernetTrainer(supernet, data, o.train, ctx.rng.fork('train'), hooks, progress, 'search');
      progress.log(`SPOS: training the supernet over ${candidates.size()} children for ${o.epochs} epoch(s)`);
      const training = await trainer.train(o.epochs, o.epochs, (rng) => [space.sample(candidates, rng)]);
      trainer.dispose();

      // every candidate is recalibrated on the same batches, so scores are comparable
      const evalSeed = ctx.rng.fork('eval').nextUint32();
      const evalOpts = { recalibrationBatches: o.recalibrationBatches, batchSize: o.evalBatchSize };
      const score = (arch: Architecture): number => evaluateChild(supernet, arch, data, data.val, evalOpts, new Rng(evalSeed));
      const allowed = (arch: Architecture): boolean => o.maxFlops <= 0 || space.cost(arch, data.input).flops <= o.maxFlops;

      const evo = await evolutionarySearch(space, candidates, o.evolution, allowed, score, ctx.rng.fork('evolution'), progress);
      ctx.emit({ event: 'evolution', evaluated: evo.evaluated, history: evo.history });
      const testAccuracy = evaluateChild(supernet, evo.best, data, data.test, evalOpts, new Rng(evalSeed));
      return {
        architecture: evo.best,
        metrics: {
          valAccuracy: evo.bestScore,
          testAccuracyInherited: testAccuracy,
          supernetEpochs: trainer.epochsDone,
          childrenEvaluated: evo.evaluated,
        },
        cost: space.cost(evo.best, data.input),
        history: { training: training.stats, evolution: evo.history },
      };
    } finally {
      supernet.dispose();
    }
  }
}
