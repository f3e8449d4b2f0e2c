/**
 * The metric's fast path (per-parameter statistics read in place, summed per
 * child over the space's layout) against the definition computed the
 * straightforward way: V(W0) and V(Wt) of an NB201 child concatenated
 * element by element from the method's rule (ABS-METHOD.md, "Cell spaces"),
 * written out here independently of the space's layout code, and their angle
 * in float64. Random weights, random children and every child whose paths are
 * all cut, under both all-cut conventions. The two sum the same numbers in a
 * different order, so they agree to float64 rounding: within 1e-9 rad.
 */
import { CandidateSet, Rng, tf, WeightSnapshot } from '@absnas/core';
import { EDGES, Nb201Space, PATHS } from '@absnas/space-nb201';
import { AngleMetric } from '../src/angle';
import { float64Angle } from '../../../test/fixtures/angle';

const C = 4;
const N = 2;
const FIXED = [
  'stem.conv.weight',
  'stem.bn.gamma',
  'stem.bn.beta',
  ...[0, 1].flatMap((r) => [
    ...['conv_a', 'conv_b'].flatMap((b) => [`reduction.${r}.${b}.conv.weight`, `reduction.${r}.${b}.bn.gamma`, `reduction.${r}.${b}.bn.beta`]),
    `reduction.${r}.shortcut.conv.weight`,
  ]),
  'final.bn.gamma',
  'final.bn.beta',
  'classifier.weight',
  'classifier.bias',
];

/** V(child, W) by the rule: per cell, per uncut path, its edges' weights (pooling: C*9 entries of 1/9); then the fixed parts. */
function vector(arch: readonly string[], w: WeightSnapshot): Float64Array {
  const values: number[] = [];
  const push = (xs: ArrayLike<number>) => {
    for (let i = 0; i < xs.length; i++) values.push(xs[i]);
  };
  for (let cell = 0; cell < 3 * N; cell++) {
    const channels = C * 2 ** Math.floor(cell / N);
    for (const path of PATHS) {
      if (path.some((e) => arch[e] === 'none')) continue;
      for (const e of path) {
        const op = arch[e];
        if (op === 'nor_conv_1x1' || op === 'nor_conv_3x3') push(w.get(`cells.${cell}.edge.${EDGES[e].id}.${op}.conv.weight`)!);
        else if (op === 'avg_pool_3x3') push(new Array(channels * 9).fill(1 / 9));
      }
    }
  }
  for (const name of FIXED) push(w.get(name)!);
  return Float64Array.from(values);
}


describe('angle metric on NB201: fast path against the concatenated vectors', () => {
  it('agrees within 1e-9 rad on random weights, for random and all-cut children, under both all-cut conventions', async () => {
    const space = new Nb201Space({ channels: C, cellsPerStage: N });
    const supernet = space.createSupernet({ height: 8, width: 8, channels: 3, numClasses: 10 }, new Rng(21));
    try {
      const rng = new Rng(22);
      // random W0 and Wt: every parameter drawn afresh, then moved by a random share of its own size
      for (const v of supernet.store.params.values()) {
        v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => rng.normal()), v.shape));
      }
      const w0 = supernet.store.snapshot();
      for (const [name, v] of supernet.store.params) {
        const scale = 0.05 + rng.next();
        const moved = Float32Array.from(w0.get(name)!, (x) => x + scale * rng.normal());
        v.assign(tf.tensor(moved, v.shape));
      }
      const wt = supernet.store.snapshot();

      const all = [...new CandidateSet(space.choicePoints).enumerate()];
      const cut = all.filter((a) => PATHS.every((p) => p.some((e) => a[e] === 'none')));
      const children = [...cut, ...Array.from({ length: 150 }, () => all[rng.int(all.length)])];
      expect(cut.length).toBe(341); // 5^6 children, of which these have no uncut path

      const ctx = { space, supernet, candidates: new CandidateSet(space.choicePoints), base: w0 } as never;
      const zero = await new AngleMetric({ allCut: 'zero' }).prepare(ctx);
      const fixedParts = await new AngleMetric({ allCut: 'fixed-parts' }).prepare(ctx);
      let worst = 0;
      for (const arch of children) {
        const direct = float64Angle(vector(arch, w0), vector(arch, wt));
        const isCut = cut.includes(arch);
        expect(direct).toBeGreaterThan(0.01); // a real angle, not a rounding-level one
        worst = Math.max(worst, Math.abs((fixedParts.score(arch) as number) - direct));
        if (isCut) expect(zero.score(arch)).toBe(0);
        else worst = Math.max(worst, Math.abs((zero.score(arch) as number) - direct));
      }
      expect(worst).toBeLessThan(1e-9);
      zero.dispose?.();
      fixedParts.dispose?.();
    } finally {
      supernet.dispose();
    }
  });
});
