import type { DataSplits } from '../data/dataset';
import type { WeightSnapshot } from '../nn/params';
import type { CandidateSet } from '../space/candidates';
import type { Architecture, SearchSpace, Supernet } from '../space/search-space';
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

/**
 * A child-model metric (angle, accuracy, magnitude, ...). `prepare` runs once
 * per scoring round and does the shared work (per-segment inner products,
 * BN recalibration); the scorer then rates as many children as needed.
 */
export interface Metric {
  readonly name: string;
  prepare(ctx: MetricContext): Promise<ChildScorer>;
}
