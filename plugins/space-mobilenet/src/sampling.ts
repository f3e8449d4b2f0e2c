/**
 * Child sampling of the chain spaces, as the ABS reference samples children
 * for operator scores and the supernet's training paths:
 * 1. every free layer draws an MBConv op uniformly from its remaining
 *    non-identity candidates (a layer left with identity alone is identity);
 * 2. depth-uniform identity: among the free layers that still have identity
 *    and some other op, the number that become identity is drawn uniformly
 *    from 0..n, then that many are chosen uniformly without replacement;
 * 3. the `fixed` operator, if any, is held;
 * 4. children above the FLOPs cap are rejected and drawn again, up to
 *    MAX_SAMPLE_TRIES times (the reference also bounds its tries); when a
 *    rare operator (a large block held fixed under a tight cap: FairNAS's
 *    330M at 224 accepts 1 child in 4000 with k7_e6 in layer 1) exhausts
 *    them, the child is completed layer by layer in a random order, each
 *    layer uniform over the ops that keep the cap reachable (choice: the
 *    reference would score such an operator on fewer children instead).
 *    A cap that no child of the remaining space meets is an error that says
 *    so. A cap that no child containing the `fixed` operator meets (an
 *    operator scored by the shrinker) gives that operator's smallest child,
 *    over the cap (choice: the reference finds no legal child for it, so it
 *    scores nothing and ranks last; the Shrinker needs a child to score).
 * Without identity (FairNAS) steps 1-3 are plain uniform sampling.
 * (choice) The reference also counts a layer whose only remaining op is
 * identity among the n layers of step 2; we leave it out, as it has no
 * choice to make.
 */
import { Architecture, CandidateSet, ConfigError, Operator, Rng } from '@absnas/core';
import { childCost, CostTable } from './cost';
import { IDENTITY, isIdentity } from './ops';

/** Rejection draws before the cap-aware completion takes over. */
export const MAX_SAMPLE_TRIES = 1000;

export function sampleDepthUniform(candidates: CandidateSet, rng: Rng, fixed?: Operator): Architecture {
  const arch: string[] = new Array(candidates.lists.length);
  const optional: number[] = [];
  candidates.lists.forEach((list, i) => {
    if (fixed && fixed.point === i) {
      arch[i] = fixed.op;
      return;
    }
    const ops = list.filter((op) => !isIdentity(op));
    if (ops.length === 0) {
      arch[i] = IDENTITY;
      return;
    }
    arch[i] = rng.pick(ops);
    if (ops.length < list.length) optional.push(i);
  });
  if (optional.length > 0) {
    const k = rng.int(optional.length + 1);
    // partial Fisher-Yates: the first k of a random permutation of the optional layers
    for (let j = 0; j < k; j++) {
      const r = j + rng.int(optional.length - j);
      [optional[j], optional[r]] = [optional[r], optional[j]];
      arch[optional[j]] = IDENTITY;
    }
  }
  return arch;
}

/** The smallest FLOPs of any child in the remaining space (with `fixed` held). */
export function minimumFlops(table: CostTable, candidates: CandidateSet, fixed?: Operator): number {
  let flops = table.fixed.flops;
  candidates.lists.forEach((list, i) => {
    const ops = fixed && fixed.point === i ? [fixed.op] : list;
    flops += Math.min(...ops.map((op) => (isIdentity(op) ? 0 : (table.layers[i].get(op)?.flops ?? Infinity))));
  });
  return flops;
}

/**
 * A child under the cap, built layer by layer in a random order: each layer
 * draws uniformly from the ops that leave the cap reachable by the layers
 * still to come (so it always succeeds when the cap is feasible).
 */
export function sampleUnderCap(candidates: CandidateSet, rng: Rng, fixed: Operator | undefined, table: CostTable, maxFlops: number): Architecture {
  const n = candidates.lists.length;
  const options = candidates.lists.map((list, i) => (fixed && fixed.point === i ? [fixed.op] : [...list]));
  const flopsOf = (i: number, op: string): number => (isIdentity(op) ? 0 : (table.layers[i].get(op)?.flops ?? Infinity));
  const minOf = options.map((ops, i) => Math.min(...ops.map((op) => flopsOf(i, op))));
  let restMin = minOf.reduce((a, b) => a + b, 0);
  let used = table.fixed.flops;
  const arch: string[] = new Array(n);
  for (const i of rng.shuffle(Array.from({ length: n }, (_, k) => k))) {
    restMin -= minOf[i];
    const ok = options[i].filter((op) => used + flopsOf(i, op) + restMin <= maxFlops);
    arch[i] = rng.pick(ok);
    used += flopsOf(i, arch[i]);
  }
  return arch;
}

/** Depth-uniform sampling under a FLOPs cap (rejection, then cap-aware completion), with a clear error when the cap cannot be met. */
export function sampleWithinFlops(
  candidates: CandidateSet,
  rng: Rng,
  fixed: Operator | undefined,
  table: CostTable,
  maxFlops: number,
): Architecture {
  const smallest = minimumFlops(table, candidates, fixed);
  if (smallest > maxFlops) {
    if (fixed && minimumFlops(table, candidates) <= maxFlops) return sampleUnderCap(candidates, rng, fixed, table, smallest);
    throw new ConfigError(
      `space-mobilenet: no child of the remaining space has at most maxFlops=${maxFlops} FLOPs (the smallest has ${smallest})`,
    );
  }
  for (let t = 0; t < MAX_SAMPLE_TRIES; t++) {
    const arch = sampleDepthUniform(candidates, rng, fixed);
    if (childCost(table, arch).flops <= maxFlops) return arch;
  }
  return sampleUnderCap(candidates, rng, fixed, table, maxFlops);
}
