import type { DataSplits } from '../data/dataset';
import type { RunServices } from '../services/run-services';
import type { CandidateSet } from '../space/candidates';
import type { SpaceRequirements } from '../space/requirements';
import type { Architecture, ChildCost, SearchSpace } from '../space/search-space';
import type { Rng } from '../util/rng';

/** What a searcher needs of the space (its kind, mixtures); checked when the run is assembled. */
export type SearcherRequirements = SpaceRequirements;

/**
 * What a searcher searches, and the run's services (hooks, progress,
 * events, checkpoints, stop requests): hand the context itself to the
 * trainers and the evolution the searcher runs, and they register their
 * state with the run's checkpoints, so a killed search resumes where it was.
 */
export interface SearchContext extends RunServices {
  space: SearchSpace;
  /** The space to search: ABS-shrunk, or the original one. */
  candidates: CandidateSet;
  data: DataSplits;
  rng: Rng;
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
