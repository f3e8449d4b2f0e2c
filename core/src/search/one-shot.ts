import { evaluateChild } from '../eval/child-accuracy';
import { trainConfigSchema } from '../config/schema';
import type { JsonSchema } from '../config/schema';
import type { TrainConfig } from '../config/types';
import { type InputSpec, type Architecture, type SearchSpace, trainingPath } from '../space/search-space';
import type { CandidateSet } from '../space/candidates';
import { SupernetTrainer, StepSampler } from '../train/trainer';
import { Rng } from '../util/rng';
import { evolutionarySearch, EvolutionOptions } from './evolution';
import type { SearchContext, SearchResult } from './searcher';

/**
 * The options that every one-shot searcher of the SPOS family shares: train
 * a fresh supernet over the given space, then run the evolutionary search,
 * scoring candidates by validation accuracy after BN recalibration.
 */
export interface OneShotOptions {
  /** Supernet training epochs. */
  epochs: number;
  train: TrainConfig;
  evolution: EvolutionOptions;
  /** Reject children above this many FLOPs in the evolutionary search (0 = no limit). */
  maxFlops: number;
  /** Reject children below this many FLOPs in the evolutionary search (0 or absent = no limit). */
  minFlops?: number;
  /** Training batches for BN recalibration before each candidate is scored. */
  recalibrationBatches: number;
  /** Batch size for recalibration and evaluation. */
  evalBatchSize: number;
}

/**
 * The options schema of a one-shot searcher (OneShotOptions), shared by SPOS
 * and FairNAS; `withMinFlops` adds the lower FLOPs bound.
 */
export function oneShotOptionsSchema(withMinFlops: boolean): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      epochs: { type: 'integer', minimum: 0, default: 10 },
      train: { ...trainConfigSchema, default: {} },
      evolution: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          population: { type: 'integer', minimum: 1, default: 50 },
          iterations: { type: 'integer', minimum: 1, default: 20 },
          topK: { type: 'integer', minimum: 1, default: 10 },
          crossovers: { type: 'integer', minimum: 0, default: 25 },
          mutations: { type: 'integer', minimum: 0, default: 25 },
          mutationProbability: { type: 'number', minimum: 0, maximum: 1, default: 0.1 },
        },
      },
      ...(withMinFlops
        ? { minFlops: { type: 'number', minimum: 0, default: 0, description: 'reject children below this many FLOPs (0 = no bound)' } }
        : {}),
      maxFlops: { type: 'number', minimum: 0, default: 0, description: 'reject children above this many FLOPs (0 = no bound)' },
      recalibrationBatches: { type: 'integer', minimum: 0, default: 20 },
      evalBatchSize: { type: 'integer', minimum: 1, default: 256 },
    },
  };
}

/** What distinguishes one one-shot method from another: how a training step picks its paths. */
export interface OneShotMethod {
  /** Shown in progress lines, e.g. `SPOS`, `FairNAS`. */
  label: string;
  /** The paths of each training step over `candidates` (one for SPOS, one per candidate for FairNAS). */
  sampler(space: SearchSpace, candidates: CandidateSet): StepSampler;
}

/** SPOS's step: one path, drawn by the space's own training sampler (uniform, depth-uniform, FLOPs-capped, per-cell...). */
export function singlePathSampler(space: SearchSpace, candidates: CandidateSet): StepSampler {
  return (rng: Rng) => [trainingPath(space, candidates, rng)];
}

/** A FLOPs window as a predicate over children (a bound of 0 or less is no bound). */
export function flopsWithin(
  space: SearchSpace,
  input: InputSpec,
  minFlops = 0,
  maxFlops = 0,
): (arch: Architecture) => boolean {
  if (!(minFlops > 0) && !(maxFlops > 0)) return () => true;
  return (arch) => {
    const flops = space.cost(arch, input).flops;
    return (!(maxFlops > 0) || flops <= maxFlops) && (!(minFlops > 0) || flops >= minFlops);
  };
}

/**
 * Train a fresh supernet over `ctx.candidates` with the method's step
 * sampler, then search it with the evolutionary search of SPOS under the
 * FLOPs window, every candidate scored on the validation split after BN
 * recalibration on the same training batches. Reports the best child's
 * validation accuracy and its test accuracy with inherited weights.
 */
export async function oneShotSearch(ctx: SearchContext, o: OneShotOptions, method: OneShotMethod): Promise<SearchResult> {
  const { space, candidates, data, hooks, progress } = ctx;
  const supernet = space.createSupernet(data.input, ctx.rng.fork('supernet'));
  // the trainer's checkpoint part holds the supernet, so it stays registered through the evolution
  const trainer = new SupernetTrainer(supernet, { data, train: o.train, rng: ctx.rng.fork('train'), phase: 'search' }, ctx);
  try {
    await hooks.series('onSupernetBuilt', { phase: 'search', space, supernet, candidates });
    progress.log(`${method.label}: training the supernet over ${candidates.size()} children for ${o.epochs} epoch(s)`);
    await trainer.train(Math.max(o.epochs - trainer.epochsDone, 0), o.epochs, method.sampler(space, candidates));

    // every candidate is recalibrated on the same batches, so scores are comparable
    const evalSeed = ctx.rng.fork('eval').nextUint32();
    const evalOpts = { recalibrationBatches: o.recalibrationBatches, batchSize: o.evalBatchSize };
    const score = (arch: Architecture): Promise<number> => evaluateChild(supernet, arch, data, data.val, evalOpts, new Rng(evalSeed));
    const allowed = flopsWithin(space, data.input, o.minFlops ?? 0, o.maxFlops);

    const evo = await evolutionarySearch({ space, candidates, options: o.evolution, allowed, evaluate: score, rng: ctx.rng.fork('evolution') }, ctx);
    ctx.emit({ event: 'evolution', evaluated: evo.evaluated, history: evo.history });
    const testAccuracy = await evaluateChild(supernet, evo.best, data, data.test, evalOpts, new Rng(evalSeed));
    return {
      architecture: evo.best,
      metrics: {
        valAccuracy: evo.bestScore,
        testAccuracyInherited: testAccuracy,
        supernetEpochs: trainer.epochsDone,
        childrenEvaluated: evo.evaluated,
      },
      cost: space.cost(evo.best, data.input),
      history: { training: [...trainer.epochHistory], evolution: evo.history },
    };
  } finally {
    trainer.dispose();
    supernet.dispose();
  }
}
