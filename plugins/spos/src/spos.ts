import {
  OneShotOptions,
  oneShotSearch,
  SearchContext,
  Searcher,
  SearchResult,
  singlePathSampler,
} from '@absnas/core';

/**
 * SPOS options: the shared one-shot options (supernet epochs and training,
 * evolution, FLOPs limit `maxFlops` with 0 = no limit, BN recalibration
 * batches, evaluation batch size). SPOS has no lower FLOPs bound.
 */
export type SposOptions = Omit<OneShotOptions, 'minFlops'>;

/**
 * Single Path One-Shot (Guo et al.): a fresh supernet over the given
 * (possibly ABS-shrunk) space, trained with one uniformly sampled path per
 * step, then evolutionary search scored by validation accuracy after BN
 * recalibration. The machinery is core's `oneShotSearch`, shared with FairNAS.
 */
export class SposSearcher implements Searcher {
  readonly name = 'spos';
  readonly requirements = {};

  constructor(private readonly options: SposOptions) {}

  search(ctx: SearchContext): Promise<SearchResult> {
    return oneShotSearch(ctx, this.options, { label: 'SPOS', sampler: singlePathSampler });
  }
}
