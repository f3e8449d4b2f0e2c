import type { CandidateSet } from '../space/candidates';
import type { Architecture } from '../space/search-space';
import type { Rng } from '../util/rng';

/**
 * The child at position `index` of `candidates.enumerate()` (mixed radix,
 * last choice point fastest), without enumerating the ones before it.
 */
export function childAt(candidates: CandidateSet, index: number): Architecture {
  const lists = candidates.lists;
  const arch = new Array<string>(lists.length);
  let rest = index;
  for (let i = lists.length - 1; i >= 0; i--) {
    const n = lists[i].length;
    arch[i] = lists[i][rest % n];
    rest = Math.floor(rest / n);
  }
  return arch;
}

/**
 * `count` distinct positions in 0..size-1 drawn uniformly without
 * replacement (a partial Fisher-Yates shuffle), in ascending order; every
 * position when `count` >= size.
 */
export function samplePositions(size: number, count: number, rng: Rng): number[] {
  if (count >= size) return Array.from({ length: size }, (_, i) => i);
  const pool = new Int32Array(size);
  for (let i = 0; i < size; i++) pool[i] = i;
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(size - i);
    const t = pool[i];
    pool[i] = pool[j];
    pool[j] = t;
  }
  return Array.from(pool.subarray(0, count)).sort((a, b) => a - b);
}
