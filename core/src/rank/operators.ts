import type { DropPolicyConfig } from '../config/types';
import type { OperatorScore } from '../hooks/hooks';
import { chooseDrops } from '../shrink/policies';
import { CandidateSet, Operator, operatorKey } from '../space/candidates';
import type { Architecture } from '../space/search-space';

/**
 * Operator scores as the shrinker forms them: the mean score of the scored
 * children that contain each operator (choice points with one candidate left
 * are not scored). An operator that no scored child contains gets -Infinity.
 */
export function operatorScores(
  candidates: CandidateSet,
  children: readonly Architecture[],
  scores: ArrayLike<number>,
): OperatorScore[] {
  const ops = candidates.scorableOperators();
  const sums = new Map(ops.map((o) => [operatorKey(o), { sum: 0, n: 0 }]));
  children.forEach((arch, i) => {
    arch.forEach((op, point) => {
      const s = sums.get(operatorKey({ point, op }));
      if (s) {
        s.sum += scores[i];
        s.n++;
      }
    });
  });
  return ops.map((o) => {
    const s = sums.get(operatorKey(o))!;
    return { ...o, score: s.n > 0 ? s.sum / s.n : -Infinity, children: s.n };
  });
}

export interface DropOutcome {
  dropped: Operator[];
  /** The operators left after dropping. */
  kept: Operator[];
  /** How many of the reference operators are among those left. */
  keptOfReference: number;
}

/**
 * Drop operators by `policy` (never emptying a choice point) and count how
 * many of `reference` (e.g. the benchmark's best 10) survive.
 */
export function dropAndCount(
  policy: DropPolicyConfig,
  scores: readonly OperatorScore[],
  candidates: CandidateSet,
  reference: readonly Operator[],
): DropOutcome {
  const dropped = chooseDrops(policy, scores, candidates);
  const kept = candidates.without(dropped).allOperators();
  const keptKeys = new Set(kept.map(operatorKey));
  return { dropped, kept, keptOfReference: reference.filter((o) => keptKeys.has(operatorKey(o))).length };
}
