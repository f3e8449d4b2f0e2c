/**
 * What a searcher or a metric needs of the search space, declared by the
 * component and checked once, when a run is assembled (a DARTS run on a
 * space without mixtures fails before any training); and the type guard
 * through which the code that needs mixtures gets them.
 */
import type { SearchSpace, SpaceKind, Supernet } from './search-space';

export interface SpaceRequirements {
  /** The kinds of space it works on (absent: any). */
  spaceKinds?: readonly SpaceKind[];
  /** It runs mixtures of candidates: the space must declare `mixtures` (forwardMixture, paramsOfMixture). */
  mixtures?: boolean;
}

/** Why `space` does not meet `requirements` of `who` (e.g. "searcher 'darts'"), or undefined when it does. */
export function unmetRequirement(space: Pick<SearchSpace, 'name' | 'kind' | 'mixtures'>, who: string, requirements: SpaceRequirements): string | undefined {
  const kinds = requirements.spaceKinds;
  if (kinds && !kinds.includes(space.kind)) {
    return `${who} works on ${kinds.join(' or ')} spaces, but space '${space.name}' is a ${space.kind} space`;
  }
  if (requirements.mixtures && !space.mixtures) {
    return (
      `${who} needs a space whose supernet runs mixtures of candidates (forwardMixture, paramsOfMixture), ` +
      `but space '${space.name}' does not declare mixtures`
    );
  }
  return undefined;
}

/** A supernet that runs weighted mixtures of candidates, as differentiable searchers and the magnitude metric train it. */
export type MixtureSupernet = Supernet & Required<Pick<Supernet, 'forwardMixture' | 'paramsOfMixture'>>;

export function isMixtureSupernet(supernet: Supernet): supernet is MixtureSupernet {
  return typeof supernet.forwardMixture === 'function' && typeof supernet.paramsOfMixture === 'function';
}

/**
 * `supernet` as a MixtureSupernet, for `who` (what needs the mixtures). The
 * assembled run has checked that the space declares mixtures, so this fails
 * only for a space that declares them and builds a supernet without them.
 */
export function mixtureSupernet(supernet: Supernet, who: string): MixtureSupernet {
  if (isMixtureSupernet(supernet)) return supernet;
  throw noMixturesError(who);
}

/** The error of mixtureSupernet, for callers that dispose the supernet first. */
export function noMixturesError(who: string): Error {
  return new Error(`${who} needs a supernet that runs mixtures of candidates, but this one has no mixture forward pass (forwardMixture, paramsOfMixture)`);
}
