/**
 * Rank correlations of two paired samples (e.g. a supernet metric against
 * benchmark accuracy over all 15,625 NAS-Bench-201 cells).
 */

function check(name: string, x: ArrayLike<number>, y: ArrayLike<number>): void {
  if (x.length !== y.length) throw new RangeError(`${name}: the samples differ in length (${x.length} and ${y.length})`);
  if (x.length < 2) throw new RangeError(`${name}: needs at least 2 pairs, got ${x.length}`);
  for (const [v, label] of [
    [x, 'x'],
    [y, 'y'],
  ] as const) {
    for (let i = 0; i < v.length; i++) {
      if (Number.isNaN(v[i])) throw new RangeError(`${name}: ${label}[${i}] is NaN`);
    }
  }
}

/** Pairs tied in a sorted sequence: sum over runs of equal values of t(t-1)/2. */
function tiedPairs(sorted: ArrayLike<number>): number {
  let pairs = 0;
  let run = 1;
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1]) run++;
    else {
      pairs += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  return pairs;
}

/** Sort `a` ascending in place (stable merge sort) and return the number of swaps (inversions) it took. */
function mergeSortInversions(a: Float64Array): number {
  const n = a.length;
  let src: Float64Array = a;
  let dst: Float64Array = new Float64Array(n);
  let swaps = 0;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if (src[i] <= src[j]) dst[k++] = src[i++];
        else {
          swaps += mid - i; // src[j] jumps over every remaining (larger) element on the left
          dst[k++] = src[j++];
        }
      }
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== a) a.set(src);
  return swaps;
}

/**
 * Kendall's tau-b, ties handled: (nc - nd) / sqrt((n0 - n1)(n0 - n2)) with n0
 * = n(n-1)/2 and n1, n2 the pairs tied in x, in y. O(n log n) (Knight's
 * algorithm). NaN when x or y is constant. Throws on a length mismatch, fewer
 * than 2 pairs, or a NaN value.
 */
export function kendallTauB(x: ArrayLike<number>, y: ArrayLike<number>): number {
  check('kendallTauB', x, y);
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => (x[a] < x[b] ? -1 : x[a] > x[b] ? 1 : y[a] < y[b] ? -1 : y[a] > y[b] ? 1 : 0));
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    xs[k] = x[order[k]];
    ys[k] = y[order[k]];
  }
  const n0 = (n * (n - 1)) / 2;
  const n1 = tiedPairs(xs);
  // pairs tied in both x and y (sorted by x, then y: they are adjacent)
  let n3 = 0;
  let run = 1;
  for (let i = 1; i <= n; i++) {
    if (i < n && xs[i] === xs[i - 1] && ys[i] === ys[i - 1]) run++;
    else {
      n3 += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  // with x ascending (ties broken by y ascending), a discordant pair is an inversion of y
  const nd = mergeSortInversions(ys);
  const n2 = tiedPairs(ys);
  const nc = n0 - n1 - n2 + n3 - nd;
  const denom = Math.sqrt((n0 - n1) * (n0 - n2));
  if (denom === 0) return NaN;
  return (nc - nd) / denom;
}

/** Ranks 1..n of the values, ties given the mean of the ranks they span (as scipy's rankdata 'average'). */
export function averageRanks(x: ArrayLike<number>): number[] {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => (x[a] < x[b] ? -1 : x[a] > x[b] ? 1 : a - b));
  const ranks = new Array<number>(n);
  let i = 0;
  while (i < n) {
    let j = i + 1;
    while (j < n && x[order[j]] === x[order[i]]) j++;
    const r = (i + 1 + j) / 2; // mean of ranks i+1 .. j
    for (let k = i; k < j; k++) ranks[order[k]] = r;
    i = j;
  }
  return ranks;
}

/** Spearman's rho: the Pearson correlation of the average ranks. NaN when x or y is constant. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  check('spearman', x, y);
  const rx = averageRanks(x);
  const ry = averageRanks(y);
  const n = rx.length;
  const mean = (n + 1) / 2; // average ranks always sum to n(n+1)/2
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = rx[i] - mean;
    const dy = ry[i] - mean;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return sxy / Math.sqrt(sxx * syy);
}
