import { CandidateSet, Rng } from '@absnas/core';
import { DartsSpace } from '../src/space';
import { NUM_EDGES, edgesInto } from '../src/topology';

/**
 * The 'check-cand' sampling rule against the exact distribution of the ABS
 * DARTS reference's steps (utils/nas_utils.py check_cand), computed by
 * enumerating its probability tree: every edge's uniform draw, then the
 * uniform subsets it turns absent or present, then the uniform real ops.
 */
function exactNode(lists: string[][], absent: number): Map<string, number> {
  const pmf = new Map<string, number>();
  const add = (ops: string[], p: number): void => void pmf.set(ops.join(','), (pmf.get(ops.join(',')) ?? 0) + p);
  const subsets = (items: number[], k: number): number[][] =>
    k === 0 ? [[]] : items.flatMap((x, i) => subsets(items.slice(i + 1), k - 1).map((s) => [x, ...s]));
  const draws = (i: number): { ops: string[]; p: number }[] =>
    i === lists.length ? [{ ops: [], p: 1 }] : lists[i].flatMap((op) => draws(i + 1).map((d) => ({ ops: [op, ...d.ops], p: d.p / lists[i].length })));
  for (const { ops, p } of draws(0)) {
    const nones = ops.map((op, i) => (op === 'none' ? i : -1)).filter((i) => i >= 0);
    const present = ops.map((op, i) => (op !== 'none' ? i : -1)).filter((i) => i >= 0);
    if (nones.length < absent) {
      const choices = subsets(present, Math.min(absent - nones.length, present.length));
      for (const s of choices) add(ops.map((op, i) => (s.includes(i) ? 'none' : op)), p / choices.length);
    } else if (nones.length > absent) {
      const choices = subsets(nones, nones.length - absent);
      for (const s of choices) {
        // every chosen edge with a real op left draws one uniformly
        let outcomes = [{ ops: [...ops], p: p / choices.length }];
        for (const i of s) {
          const real = lists[i].filter((op) => op !== 'none');
          if (real.length === 0) continue;
          outcomes = outcomes.flatMap((o) => real.map((r) => ({ ops: o.ops.map((x, k) => (k === i ? r : x)), p: o.p / real.length })));
        }
        for (const o of outcomes) add(o.ops, o.p);
      }
    } else add(ops, p);
  }
  return pmf;
}

/** Upper 0.1% point of chi-square with `df` degrees of freedom (Wilson-Hilferty). */
const chiSquareCritical = (df: number): number => df * (1 - 2 / (9 * df) + 3.09 * Math.sqrt(2 / (9 * df))) ** 3;

describe("space-darts sampling 'check-cand' (the reference's check_cand rule)", () => {
  const space = new DartsSpace({ sampling: 'check-cand' });
  // node 3 (edges 2, 3, 4: one must be absent) and node 4 (edges 5..8: two absent), mixed lists, 'none' dropped on some edges
  const custom: Record<number, string[]> = {
    2: ['none', 'sep_conv_5x5'],
    3: ['none', 'skip_connect'],
    4: ['none'],
    5: ['none', 'sep_conv_3x3'],
    6: ['sep_conv_3x3', 'dil_conv_3x3'],
    7: ['none', 'skip_connect', 'max_pool_3x3'],
    8: ['avg_pool_3x3'],
  };
  const lists = space.choicePoints.map((p, i) => custom[i % NUM_EDGES] ?? p.candidates);
  const candidates = new CandidateSet(space.choicePoints, lists);

  it.each([3, 4])('draws node %i with the exact distribution of the reference (chi-square, p = 0.001)', (node) => {
    const edges = edgesInto(node);
    const exact = exactNode(
      edges.map((e) => [...lists[e]]),
      edges.length - 2,
    );
    const n = 20000;
    const counts = new Map<string, number>();
    const rng = new Rng(11);
    for (let k = 0; k < n; k++) {
      const arch = space.sample(candidates, rng);
      expect(arch.slice(NUM_EDGES)).toEqual(arch.slice(0, NUM_EDGES));
      const key = edges.map((e) => arch[e]).join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const key of counts.keys()) expect(exact.has(key)).toBe(true);
    let chi2 = 0;
    for (const [key, p] of exact) chi2 += ((counts.get(key) ?? 0) - n * p) ** 2 / (n * p);
    expect(chi2).toBeLessThan(chiSquareCritical(exact.size - 1));
    expect(exact.size).toBeGreaterThanOrEqual(3);
  });

  it("keeps two inputs per node where the lists allow it, an edge turning absent even without 'none' in its list", () => {
    const all = new CandidateSet(space.choicePoints);
    const noNone = new CandidateSet(space.choicePoints, space.choicePoints.map((p) => p.candidates.filter((op) => op !== 'none')));
    const rng = new Rng(2);
    for (let k = 0; k < 200; k++) {
      for (const c of [all, noNone]) {
        const arch = space.sample(c, rng);
        for (let to = 2; to < 6; to++) expect(edgesInto(to).filter((i) => arch[i] !== 'none')).toHaveLength(2);
      }
    }
  });

  it('sets the scored operator after the rule, as the reference does', () => {
    const all = new CandidateSet(space.choicePoints);
    const rng = new Rng(3);
    let threeInputs = 0;
    for (let k = 0; k < 200; k++) {
      const arch = space.sample(all, rng, { point: 16, op: 'sep_conv_3x3' });
      expect(arch[16]).toBe('sep_conv_3x3');
      expect(arch[2]).toBe('sep_conv_3x3');
      if (edgesInto(3).filter((i) => arch[i] !== 'none').length === 3) threeInputs++;
    }
    // edge 3<-0 was absent in about a third of the draws before it was set
    expect(threeInputs).toBeGreaterThan(30);
  });

  it('is an option, validated', () => {
    expect(new DartsSpace().options.sampling).toBe('pairs');
    expect(() => new DartsSpace({ sampling: 'uniform' as 'pairs' })).toThrow(/option 'sampling' must be one of pairs, check-cand, got "uniform"/);
  });
});
