import {
  Architecture,
  CandidateSet,
  OneShotOptions,
  oneShotSearch,
  Rng,
  SearchContext,
  Searcher,
  SearchResult,
  SearchSpace,
  StepSampler,
} from '@absnas/core';

/**
 * FairNAS options: the shared one-shot options (supernet epochs and
 * training, evolution, BN recalibration) with a FLOPs window
 * [minFlops, maxFlops] for the evolutionary search (0 = no bound).
 */
export type FairnasOptions = OneShotOptions & { minFlops: number };

/**
 * The paths of one strictly fair step (FairNAS): a random permutation of
 * every layer's remaining candidates, and path m takes the m-th element of
 * each layer's permutation, so every candidate of every layer runs exactly
 * once per step. A layer with fewer candidates than the longest list (not
 * the case in FairNAS spaces, whose per-layer ABS drops keep the counts
 * equal) cycles through fresh permutations of its own list, so its
 * candidates run equally often up to one.
 */
export function fairPaths(candidates: CandidateSet, rng: Rng): Architecture[] {
  const m = Math.max(...candidates.lists.map((l) => l.length));
  const columns = candidates.lists.map((list) => {
    const seq: string[] = [];
    while (seq.length < m) seq.push(...rng.shuffle([...list]));
    return seq.slice(0, m);
  });
  return Array.from({ length: m }, (_, k) => columns.map((col) => col[k]));
}

/** The FairNAS step sampler over a candidate set (every path's gradients are summed, then one SGD step). */
export function fairSampler(_space: SearchSpace, candidates: CandidateSet): StepSampler {
  return (rng: Rng) => fairPaths(candidates, rng);
}

/**
 * FairNAS (Chu et al.): a fresh supernet over the given (possibly ABS-shrunk)
 * chain space trained with strict fairness, then the same evolutionary
 * search as SPOS (core's `oneShotSearch`), scored by validation accuracy
 * after BN recalibration, within the FLOPs window.
 */
export class FairnasSearcher implements Searcher {
  readonly name = 'fairnas';
  readonly requirements = { spaceKinds: ['chain'] as const };

  constructor(private readonly options: FairnasOptions) {}

  search(ctx: SearchContext): Promise<SearchResult> {
    return oneShotSearch(ctx, this.options, { label: 'FairNAS', sampler: fairSampler });
  }
}
