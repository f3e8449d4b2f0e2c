import { CandidateSet, ConfigError, Rng, trainingPath } from '@absnas/core';
import { EDGES, NB201_OPS, Nb201Space, sampleCellRedraw } from '../src/index';

/**
 * The per-cell redraw rule has exact probabilities. With all 5 operators on
 * every edge, a node's incoming edges are drawn jointly uniform over the
 * 5^k - 1 combinations that are not all `none` (k = in-degree 1, 2, 3):
 *   edge 1<-0:        P(none) = 0,            P(op) = 1/4;
 *   edges 2<-0, 2<-1: P(none) = 4/24 = 1/6,   P(op) = 5/24;
 *   edges 3<-*:       P(none) = 24/124 = 6/31, P(op) = 25/124.
 * Counts over N draws are checked by Pearson's chi-square against the
 * critical value at significance 0.001 (Wilson-Hilferty approximation of the
 * chi-square quantile, z = 3.09), so a correct sampler fails one check in a
 * thousand per seed; the seeds are fixed, so the test is deterministic.
 */
const N = 24_000;
const Z_999 = 3.0902;

function chiSquareCritical(df: number): number {
  const a = 2 / (9 * df);
  return df * (1 - a + Z_999 * Math.sqrt(a)) ** 3;
}

/** Pearson's statistic over the categories of `expected` (probabilities > 0); a draw outside them fails outright. */
function chiSquare(counts: Map<string, number>, expected: Map<string, number>, n: number): number {
  for (const [k, c] of counts) {
    if (!expected.has(k) && c > 0) throw new Error(`drawn ${c} times, but impossible: ${k}`);
  }
  let stat = 0;
  for (const [k, p] of expected) {
    const e = n * p;
    const o = counts.get(k) ?? 0;
    stat += ((o - e) * (o - e)) / e;
  }
  return stat;
}

function tally<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of items) m.set(key(t), (m.get(key(t)) ?? 0) + 1);
  return m;
}

/** Every combination of operators over `k` edges, as keys joined by '|'. */
function combos(k: number, ops: readonly string[]): string[] {
  if (k === 0) return [''];
  return combos(k - 1, ops).flatMap((c) => ops.map((op) => (c ? `${c}|${op}` : op)));
}

const incoming = (to: number): number[] => EDGES.flatMap((e, i) => (e.to === to ? [i] : []));

describe('per-cell sampling: the reference redraw rule', () => {
  const space = new Nb201Space({ channels: 4, cellsPerStage: 5, sampling: 'per-cell' });
  const full = new CandidateSet(space.choicePoints);
  // draws of one cell each, taken from whole training paths (15 cells a path)
  const cells: string[][] = [];
  const rng = new Rng(20260);
  while (cells.length < N) {
    const path = trainingPath(space, full, rng);
    expect(path).toHaveLength(EDGES.length * 15);
    for (let c = 0; c < 15; c++) cells.push(path.slice(c * EDGES.length, (c + 1) * EDGES.length));
  }
  cells.length = N;

  it('gives every edge its exact marginal distribution', () => {
    const marginals: Record<number, Map<string, number>> = {
      1: new Map(NB201_OPS.filter((op) => op !== 'none').map((op) => [op, 1 / 4])),
      2: new Map(NB201_OPS.map((op) => [op, op === 'none' ? 4 / 24 : 5 / 24])),
      3: new Map(NB201_OPS.map((op) => [op, op === 'none' ? 24 / 124 : 25 / 124])),
    };
    EDGES.forEach((e, i) => {
      const expected = marginals[e.to];
      const stat = chiSquare(tally(cells, (c) => c[i]), expected, N);
      const critical = chiSquareCritical(expected.size - 1);
      if (!(stat < critical)) throw new Error(`edge ${e.id}: chi-square ${stat.toFixed(2)} >= ${critical.toFixed(2)}`);
    });
  });

  it('draws each node jointly uniform over the combinations that are not all none', () => {
    for (const to of [1, 2, 3]) {
      const edges = incoming(to);
      const allowed = combos(edges.length, NB201_OPS).filter((k) => k.split('|').some((op) => op !== 'none'));
      const expected = new Map(allowed.map((k) => [k, 1 / allowed.length]));
      const stat = chiSquare(tally(cells, (c) => edges.map((i) => c[i]).join('|')), expected, N);
      const critical = chiSquareCritical(allowed.length - 1);
      if (!(stat < critical)) throw new Error(`node ${to}: chi-square ${stat.toFixed(2)} >= ${critical.toFixed(2)}`);
    }
  });

  it('draws the cells of a path independently (edge 1<-0 of cells 0 and 1: 16 equally likely pairs)', () => {
    const pairs: string[] = [];
    const r = new Rng(11);
    for (let i = 0; i < 8000; i++) {
      const path = trainingPath(space, full, r);
      pairs.push(`${path[0]}|${path[EDGES.length]}`);
    }
    const ops = NB201_OPS.filter((op) => op !== 'none');
    const expected = new Map(combos(2, ops).map((k) => [k, 1 / 16]));
    const stat = chiSquare(tally(pairs, (p) => p), expected, pairs.length);
    expect(stat).toBeLessThan(chiSquareCritical(15));
  });

  it('keeps to the remaining candidates, and stops redrawing a node that cannot be connected', () => {
    // node 2: 2<-0 only none, 2<-1 none or skip -> 2<-1 is always skip;
    // node 3: every incoming edge only none -> all none, drawn once
    const lists = [
      ['none', 'nor_conv_3x3'],
      ['none'],
      ['none', 'skip_connect'],
      ['none'],
      ['none'],
      ['none'],
    ];
    const shrunk = new CandidateSet(space.choicePoints, lists);
    const r = new Rng(3);
    for (let i = 0; i < 500; i++) {
      expect(sampleCellRedraw(shrunk, r)).toEqual(['nor_conv_3x3', 'none', 'skip_connect', 'none', 'none', 'none']);
    }
  });

  it("'shared' trains on one child of 6 operators, as sample draws it", () => {
    const shared = new Nb201Space({ channels: 4 });
    expect(shared.options.sampling).toBe('shared');
    const a = trainingPath(shared, full, new Rng(5));
    expect(a).toEqual(shared.sample(full, new Rng(5)));
    expect(a).toHaveLength(6);
  });

  it('rejects an unknown sampling mode', () => {
    expect(() => new Nb201Space({ sampling: 'per-node' as never })).toThrow(ConfigError);
    expect(() => new Nb201Space({ sampling: 'per-node' as never })).toThrow(/sampling.*shared, per-cell/);
  });
});
