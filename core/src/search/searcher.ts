import type { CheckpointSink } from '../checkpoint/checkpointer';
import type { Interruption } from '../checkpoint/interrupt';
import type { DataSplits } from '../data/dataset';
import type { HookBus } from '../hooks/hooks';
import type { CandidateSet } from '../space/candidates';
import type { Architecture, ChildCost, SearchSpace, SpaceKind } from '../space/search-space';
import type { Rng } from '../util/rng';
import type { Progress } from '../util/progress';

/** What a searcher needs of the space; checked when the run is assembled. */
export interface SearcherRequirements {
  spaceKinds?: readonly SpaceKind[];
}

export interface SearchContext {
  space: SearchSpace;
  /** The space to search: ABS-shrunk, or the original one. */
  candidates: CandidateSet;
  data: DataSplits;
  rng: Rng;
  hooks: HookBus;
  progress: Progress;
  /** Append a structured event to the run's events.jsonl. */
  emit(event: Record<string, unknown>): void;
  /**
   * The run's checkpoints: a searcher registers its state (its trainer does
   * so itself when given these) so that a killed search resumes where it was.
   */
  checkpoints?: CheckpointSink;
  /** Polled at safe points: when set, save a checkpoint and stop (the trainer does both). */
  interruption?: Interruption;
}

export interface SearchResult {
  architecture: Architecture;
  /** Scores the searcher measured for the found child (e.g. validation accuracy). */
  metrics: Record<string, number>;
  cost: ChildCost;
  /** Anything worth keeping: per-generation bests, training curves. */
  history: Record<string, unknown>;
}

export interface Searcher {
  readonly name: string;
  readonly requirements: SearcherRequirements;
  search(ctx: SearchContext): Promise<SearchResult>;
}
