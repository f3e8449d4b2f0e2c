import type { DropPolicyConfig } from '../config/types';
import type { OperatorScore } from '../hooks/hooks';
import type { CandidateSet, Operator } from '../space/candidates';

/**
 * Which operators a shrink round drops, given their scores (higher = better).
 * Ties are broken by choice-point order then candidate order, so a drop list
 * is a pure function of the scores.
 */
export function chooseDrops(policy: DropPolicyConfig, scores: readonly OperatorScore[], candidates: CandidateSet): Operator[] {
  const ascending = [...scores].sort(
    (a, b) => a.score - b.score || a.point - b.point || candidates.lists[a.point].indexOf(a.op) - candidates.lists[b.point].indexOf(b.op),
  );
  const remaining = candidates.lists.map((l) => l.length);
  const drops: Operator[] = [];
  const tryDrop = (s: OperatorScore): boolean => {
    if (remaining[s.point] <= 1) return false; // never empty a choice point
    remaining[s.point]--;
    drops.push({ point: s.point, op: s.op });
    return true;
  };
  if (policy.kind === 'global') {
    // lowest `count` overall
    for (const s of ascending) {
      if (drops.length >= policy.count) break;
      tryDrop(s);
    }
  } else {
    // lowest `count` in every choice point that still has a choice
    const perPoint = new Map<number, number>();
    for (const s of ascending) {
      const n = perPoint.get(s.point) ?? 0;
      if (n < policy.count && tryDrop(s)) perPoint.set(s.point, n + 1);
    }
  }
  return drops;
}
