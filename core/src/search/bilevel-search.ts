/**
 * One stage of a differentiable search (DARTS is one stage, PDARTS several):
 * a fresh supernet over the given candidates, architecture weights alpha,
 * bilevel training, then the derived child and its numbers. Shared by the
 * DARTS and PDARTS searchers so that neither imports the other.
 */
import { trainConfigSchema } from '../config/schema';
import type { TrainConfig } from '../config/types';
import type { JsonSchema } from '../config/schema';
import { evaluateChild } from '../eval/child-accuracy';
import type { CandidateSet } from '../space/candidates';
import type { Architecture, SearchSpace } from '../space/search-space';
import { BilevelEpochPlan, BilevelEpochStats, BilevelTrainer } from './bilevel-trainer';
import { Rng } from '../util/rng';
import { ArchitectureOptimizerOptions, ArchitectureWeights, deriveArchitecture } from './differentiable';
import { isMixtureSupernet, noMixturesError } from '../space/requirements';
import type { SearchContext } from './searcher';

export interface BilevelStageOptions {
  /** Epochs of the stage. */
  epochs: number;
  /** 1: first-order DARTS; 2: the unrolled second-order gradient. */
  order: 1 | 2;
  /** The weights' SGD, schedule and batches. */
  train: TrainConfig;
  /** Adam on alpha. */
  architecture: ArchitectureOptimizerOptions;
  /** What epoch e (0-based) does (default: update alpha every epoch, no dropout). */
  plan?: (epoch: number) => BilevelEpochPlan;
  /** Batches of BN recalibration before the derived child is evaluated with inherited weights (0 = not evaluated). */
  recalibrationBatches: number;
  evalBatchSize: number;
}

export interface BilevelEpochRecord {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  valLoss: number;
  learningRate: number;
  seconds: number;
  /** The child derived from alpha after this epoch. */
  architecture: string;
}

export interface BilevelStageResult {
  /** The candidates each choice point mixed, and softmax(alpha) over them at the end. */
  ops: string[][];
  probabilities: number[][];
  alpha: number[][];
  /** softmax(alpha) over each choice point's full candidate list (0 for dropped): the input of `derive`. */
  weights: Float32Array[];
  architecture: Architecture;
  /** The supernet mixture's validation accuracy at the end (eval mode). */
  valAccuracy: number;
  /** The derived child's test accuracy with the supernet's weights after BN recalibration (NaN when not evaluated). */
  testAccuracyInherited: number;
  epochs: BilevelEpochRecord[];
  stats: BilevelEpochStats[];
  stopped: boolean;
}

/** What one stage searches, with what, and under which names. */
export interface BilevelStage {
  /** The space of this stage (PDARTS: deeper from stage to stage) and the candidates its mixtures hold. */
  space: SearchSpace;
  candidates: CandidateSet;
  options: BilevelStageOptions;
  /** Prefix of its checkpoint parts (`<key>/alpha`, `<key>/trainer`, `<key>/history`) and its events. */
  key: string;
  /** Shown in progress lines, e.g. `DARTS`. */
  label: string;
  /** Forked in a fixed order, so a resumed stage rebuilds the same generators. */
  rng: Rng;
  /** The child from the final weights (default: the space's `derive`, or the strongest candidate per choice point). */
  derive?: (weights: Float32Array[]) => Architecture;
}

/** Run one stage with the run's services and data of `ctx`. */
export async function runBilevelStage(ctx: SearchContext, stage: BilevelStage): Promise<BilevelStageResult> {
  const { space, candidates, options: o, key, label, rng } = stage;
  const derive = stage.derive ?? ((w: Float32Array[]) => deriveArchitecture(space, w));
  const { data, hooks, progress } = ctx;
  const supernet = space.createSupernet(data.input, rng.fork('supernet'));
  if (!isMixtureSupernet(supernet)) {
    supernet.dispose();
    throw noMixturesError(label);
  }
  const alpha = new ArchitectureWeights(space.choicePoints, candidates, o.architecture, rng.fork('alpha'));
  const epochs: BilevelEpochRecord[] = [];
  ctx.checkpoints?.register(`${key}/alpha`, alpha);
  ctx.checkpoints?.register(`${key}/history`, {
    capture: () => ({ state: epochs }),
    restore: (saved) => void epochs.splice(0, epochs.length, ...(saved as BilevelEpochRecord[])),
  });
  const trainer = new BilevelTrainer(supernet, { data, train: o.train, rng: rng.fork('train'), phase: 'search', key: `${key}/trainer`, alpha, order: o.order }, ctx);
  try {
    await hooks.series('onSupernetBuilt', { phase: 'search', space, supernet, candidates });
    const sizes = alpha.ops.map((l) => l.length);
    progress.log(
      `${label}: ${o.order === 2 ? 'second' : 'first'}-order bilevel search over ${candidates.size()} children ` +
        `(${Math.min(...sizes)}-${Math.max(...sizes)} candidates per choice point) for ${o.epochs} epoch(s)` +
        (trainer.epochsDone > 0 ? `, resuming after epoch ${trainer.epochsDone}` : ''),
    );
    const plan = o.plan ?? ((): BilevelEpochPlan => ({ updateArchitecture: true }));
    const training = await trainer.train(Math.max(o.epochs - trainer.epochsDone, 0), o.epochs, plan, (s) => {
      const text = space.format(derive(alpha.fullWeights()));
      const record: BilevelEpochRecord = {
        epoch: s.epoch,
        loss: s.loss,
        trainAccuracy: s.trainAccuracy,
        valLoss: s.archLoss,
        learningRate: s.learningRate,
        seconds: s.seconds,
        architecture: text,
      };
      epochs.push(record);
      ctx.emit({ event: 'bilevelEpoch', stage: key, ...record });
      progress.log(`${label} epoch ${s.epoch}: ${text}`);
    });

    const weights = alpha.fullWeights();
    const architecture = derive(weights);
    const valAccuracy = (await trainer.evaluate(data.val, o.evalBatchSize)).accuracy;
    const testAccuracyInherited =
      o.recalibrationBatches > 0
        ? await evaluateChild(supernet, architecture, data, data.test, { recalibrationBatches: o.recalibrationBatches, batchSize: o.evalBatchSize }, rng.fork('eval'))
        : NaN;
    return {
      ops: alpha.ops,
      probabilities: alpha.probabilities(),
      alpha: alpha.alpha(),
      weights,
      architecture,
      valAccuracy,
      testAccuracyInherited,
      epochs: [...epochs],
      stats: [...trainer.epochHistory],
      stopped: training.stopped,
    };
  } finally {
    trainer.dispose();
    ctx.checkpoints?.unregister(`${key}/alpha`);
    ctx.checkpoints?.unregister(`${key}/history`);
    alpha.dispose();
    supernet.dispose();
  }
}

/**
 * core's train config schema with other defaults (DARTS searches with plain
 * momentum, weight decay 3e-4...), for searcher plugins' option schemas.
 */
export function trainConfigSchemaWithDefaults(defaults: Partial<TrainConfig>): JsonSchema {
  const schema = JSON.parse(JSON.stringify(trainConfigSchema)) as JsonSchema & { properties: Record<string, JsonSchema> };
  for (const [k, v] of Object.entries(defaults)) {
    if (!schema.properties[k]) throw new Error(`train config has no setting '${k}'`);
    schema.properties[k].default = v;
  }
  schema.default = {};
  return schema;
}
