import type { Checkpointable } from '../checkpoint/checkpointer';
import type { DataSplits } from '../data/dataset';
import type { WeightSnapshot } from '../nn/params';
import type { CandidateSet } from '../space/candidates';
import type { SpaceRequirements } from '../space/requirements';
import type { Architecture, SearchSpace, Supernet } from '../space/search-space';
import type { StepSampler, TrainingParticipant } from '../train/trainer';
import type { Rng } from '../util/rng';

/** What a metric may look at when it scores child models of the current supernet. */
export interface MetricContext {
  space: SearchSpace;
  supernet: Supernet;
  candidates: CandidateSet;
  /** The base weights W0 (the angle's reference point). */
  base: WeightSnapshot;
  data: DataSplits;
  rng: Rng;
}

/** Scores children of one supernet state. Higher is better. */
export interface ChildScorer {
  score(arch: Architecture): number | Promise<number>;
  dispose?(): void;
}

/** What a metric sees when it takes part in the training of a supernet. */
export interface ParticipationContext {
  space: SearchSpace;
  supernet: Supernet;
  /** The candidates that remain now (they change as operators are dropped). */
  candidates: () => CandidateSet;
  rng: Rng;
}

/**
 * How a metric takes part in supernet training: the paths each step runs
 * (in place of uniform single-path sampling) and the variables it trains by
 * the same loss (the magnitude metric's architecture weights).
 */
export interface Participation {
  sampler: StepSampler;
  participant: TrainingParticipant;
  /** Its state (e.g. architecture weights and optimizer moments), for checkpoints. */
  state?: Checkpointable;
  /** Free what the participation holds, once its supernet is no longer scored. */
  dispose?(): void;
}

/**
 * A child-model metric (angle, accuracy, magnitude, ...). `prepare` runs once
 * per scoring round and does the shared work (per-segment inner products,
 * BN recalibration); the scorer then rates as many children as needed.
 */
export interface Metric {
  readonly name: string;
  /** What it needs of the space (mixtures, to take part in training); checked when the run is assembled. */
  readonly requirements?: SpaceRequirements;
  prepare(ctx: MetricContext): Promise<ChildScorer>;
  /**
   * Metrics that learn alongside the supernet (magnitude) take part in its
   * training: whoever trains a supernet that this metric will score calls
   * this once, after building it, and trains with the returned sampler and
   * participant instead of uniform sampling. Metrics that only read the
   * supernet (angle, accuracy) leave it out.
   */
  participate?(ctx: ParticipationContext): Participation;
}
