import { averageRanks, kendallTauB, spearman } from '../../src/stats/rank-correlation';
import { Rng } from '../../src/util/rng';

/** Tau-b by definition, over all n(n-1)/2 pairs. */
function bruteTauB(x: number[], y: number[]): number {
  let nc = 0;
  let nd = 0;
  let tx = 0; // pairs tied in x (whatever y)
  let ty = 0; // pairs tied in y (whatever x)
  const n = x.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = Math.sign(x[i] - x[j]) * Math.sign(y[i] - y[j]);
      if (s > 0) nc++;
      else if (s < 0) nd++;
      if (x[i] === x[j]) tx++;
      if (y[i] === y[j]) ty++;
    }
  }
  const n0 = (n * (n - 1)) / 2;
  return (nc - nd) / Math.sqrt((n0 - tx) * (n0 - ty));
}

describe('kendallTauB', () => {
  test('hand-computed cases with ties', () => {
    // x = [1,2,2,3], y = [1,3,2,2]; n0 = 6 pairs:
    //   (0,1) C, (0,2) C, (0,3) C, (1,2) tied in x, (1,3) D, (2,3) tied in y
    //   nc = 3, nd = 1, n1 = 1, n2 = 1: tau-b = (3 - 1) / sqrt(5 * 5) = 0.4
    expect(kendallTauB([1, 2, 2, 3], [1, 3, 2, 2])).toBeCloseTo(0.4, 12);
    // x = [1,1,2,2,3], y = [1,1,2,3,3]; n0 = 10:
    //   (0,1) tied in both, (2,3) tied in x, (3,4) tied in y, the other 7 concordant
    //   nc = 7, nd = 0, n1 = 2 ({0,1}, {2,3}), n2 = 2 ({0,1}, {3,4}): tau-b = 7 / sqrt(8 * 8) = 0.875
    expect(kendallTauB([1, 1, 2, 2, 3], [1, 1, 2, 3, 3])).toBeCloseTo(0.875, 12);
    // x = [3,1,2,2], y = [1,2,2,3]:
    //   (0,1) D, (0,2) D, (0,3) D, (1,2) tied in y, (1,3) C, (2,3) tied in x
    //   nc = 1, nd = 3, n1 = 1, n2 = 1: tau-b = -2 / 5 = -0.4
    expect(kendallTauB([3, 1, 2, 2], [1, 2, 2, 3])).toBeCloseTo(-0.4, 12);
    // no ties: identical order 1, reversed -1; two points
    expect(kendallTauB([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(kendallTauB([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    expect(kendallTauB([0, 1], [1, 0])).toBe(-1);
    // typed arrays are taken as they are
    expect(kendallTauB(new Float64Array([1, 2, 2, 3]), Float32Array.from([1, 3, 2, 2]))).toBeCloseTo(0.4, 12);
  });

  test('a constant sample gives NaN; bad input throws', () => {
    expect(kendallTauB([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(() => kendallTauB([1, 2], [1, 2, 3])).toThrow('kendallTauB: the samples differ in length (2 and 3)');
    expect(() => kendallTauB([1], [1])).toThrow('kendallTauB: needs at least 2 pairs, got 1');
    expect(() => kendallTauB([1, NaN], [1, 2])).toThrow('kendallTauB: x[1] is NaN');
  });

  test('equals the O(n^2) definition on random samples with many ties (n = 500)', () => {
    const rng = new Rng(11);
    for (const levels of [2, 3, 5, 20, 1000]) {
      const x: number[] = [];
      const y: number[] = [];
      for (let i = 0; i < 500; i++) {
        const a = rng.int(levels);
        x.push(a / 7);
        // correlated with x, with ties of its own
        y.push(rng.next() < 0.5 ? a % 4 : rng.int(levels));
      }
      expect(kendallTauB(x, y)).toBeCloseTo(bruteTauB(x, y), 12);
      expect(kendallTauB(y, x)).toBeCloseTo(bruteTauB(x, y), 12);
    }
  });

  test('runs on 15,625 points quickly', () => {
    const rng = new Rng(2);
    const x = Array.from({ length: 15625 }, () => Math.round(rng.next() * 100) / 4);
    const y = x.map((v) => v + rng.normal() * 5);
    const t0 = Date.now();
    const tau = kendallTauB(x, y);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(tau).toBeGreaterThan(0.3);
    expect(tau).toBeLessThan(1);
  });
});

describe('averageRanks and spearman', () => {
  test('ties get the mean of the ranks they span', () => {
    // 10 takes ranks 1, 2, 3 -> 2; 20 takes 4, 5 -> 4.5; 30 takes 6
    expect(averageRanks([10, 20, 10, 30, 20, 10])).toEqual([2, 4.5, 2, 6, 4.5, 2]);
    expect(averageRanks([3, 1, 2])).toEqual([3, 1, 2]);
    expect(averageRanks([])).toEqual([]);
  });

  test('hand-computed cases with ties', () => {
    // x = [1,2,2,3] -> ranks [1, 2.5, 2.5, 4]; y = [1,3,2,2] -> [1, 4, 2.5, 2.5]; mean rank 2.5
    //   deviations dx = [-1.5, 0, 0, 1.5], dy = [-1.5, 1.5, 0, 0]
    //   sum dx dy = 2.25, sum dx^2 = sum dy^2 = 4.5: rho = 2.25 / 4.5 = 0.5
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 2])).toBeCloseTo(0.5, 12);
    // x = [1,1,2,2,3] -> [1.5, 1.5, 3.5, 3.5, 5]; y = [1,1,2,3,3] -> [1.5, 1.5, 3, 4.5, 4.5]; mean 3
    //   dx = [-1.5, -1.5, 0.5, 0.5, 2], dy = [-1.5, -1.5, 0, 1.5, 1.5]
    //   sum dx dy = 2.25 + 2.25 + 0 + 0.75 + 3 = 8.25, sum dx^2 = 9, sum dy^2 = 9: rho = 8.25 / 9 = 0.91667
    expect(spearman([1, 1, 2, 2, 3], [1, 1, 2, 3, 3])).toBeCloseTo(8.25 / 9, 12);
    expect(spearman([1, 2, 3], [30, 20, 10])).toBeCloseTo(-1, 12);
    expect(spearman([2, 2, 2], [1, 2, 3])).toBeNaN();
    expect(() => spearman([1, 2], [1])).toThrow('spearman: the samples differ in length (2 and 1)');
  });
});

/**
 * Reference values printed by scipy 1.10.1 (Debian python3-scipy), with
 *   from scipy import stats
 *   x1 = [(i*37 + 11) % 7 for i in range(300)]
 *   y1 = [((i*i*13 + 5) % 11) // 2 + x1[i] % 3 for i in range(300)]
 *   x2 = [(i*7919) % 1009 for i in range(500)]
 *   y2 = [(i*104729 + 17) % 1013 + (x2[i] // 3) for i in range(500)]
 *   stats.kendalltau(x, y).statistic, stats.spearmanr(x, y).statistic
 * (scipy also gave 0.4 / 0.5, 0.875 / 0.91667 and -0.4 for the hand-computed cases above.)
 */
describe('against scipy', () => {
  const x1 = Array.from({ length: 300 }, (_, i) => (i * 37 + 11) % 7);
  const y1 = x1.map((v, i) => Math.floor(((i * i * 13 + 5) % 11) / 2) + (v % 3));
  const x2 = Array.from({ length: 500 }, (_, i) => (i * 7919) % 1009);
  const y2 = x2.map((v, i) => ((i * 104729 + 17) % 1013) + Math.floor(v / 3));

  test('many ties (7 and 6 distinct values)', () => {
    expect(new Set(x1).size).toBe(7);
    expect(new Set(y1).size).toBe(6);
    expect(kendallTauB(x1, y1)).toBeCloseTo(0.045270220403724686, 12);
    expect(spearman(x1, y1)).toBeCloseTo(0.05075812968521074, 12);
  });

  test('no ties', () => {
    expect(new Set(y2).size).toBe(500);
    expect(kendallTauB(x2, y2)).toBeCloseTo(0.2175230460921843, 12);
    expect(spearman(x2, y2)).toBeCloseTo(0.3195515822063288, 12);
  });
});
