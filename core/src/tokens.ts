import type { InjectionToken } from 'tsyringe';
import type { SearchSpace } from './space/search-space';
import type { Metric } from './metric/metric';
import type { Searcher } from './search/searcher';
import type { HookBus } from './hooks/hooks';

/**
 * Every injection token of absnas, in one place. Plugins register their
 * component under the token of their kind; the run resolves them here.
 */
export const SEARCH_SPACE: InjectionToken<SearchSpace> = Symbol.for('absnas.SearchSpace');
export const METRIC: InjectionToken<Metric> = Symbol.for('absnas.Metric');
export const SEARCHER: InjectionToken<Searcher> = Symbol.for('absnas.Searcher');
export const HOOKS: InjectionToken<HookBus> = Symbol.for('absnas.Hooks');
