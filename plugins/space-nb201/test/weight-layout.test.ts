import { Architecture, CandidateSet, Rng, WeightLayout, WeightSnapshot, tf } from '@absnas/core';
import { Nb201Space } from '../src/space';
import { float64Angle } from '../../../test/fixtures/angle';

const NONE6: Architecture = ['none', 'none', 'none', 'none', 'none', 'none'];

/** The fixed parts of V for any N, written out by hand. */
const FIXED = [
  'stem.conv.weight',
  'stem.bn.gamma',
  'stem.bn.beta',
  'reduction.0.conv_a.conv.weight',
  'reduction.0.conv_a.bn.gamma',
  'reduction.0.conv_a.bn.beta',
  'reduction.0.conv_b.conv.weight',
  'reduction.0.conv_b.bn.gamma',
  'reduction.0.conv_b.bn.beta',
  'reduction.0.shortcut.conv.weight',
  'reduction.1.conv_a.conv.weight',
  'reduction.1.conv_a.bn.gamma',
  'reduction.1.conv_a.bn.beta',
  'reduction.1.conv_b.conv.weight',
  'reduction.1.conv_b.bn.gamma',
  'reduction.1.conv_b.bn.beta',
  'reduction.1.shortcut.conv.weight',
  'final.bn.gamma',
  'final.bn.beta',
  'classifier.weight',
  'classifier.bias',
];
const fixedSegments = FIXED.map((param) => ({ param }));
const pool = (channels: number) => ({ constant: 1 / 9, size: channels * 9 });
const conv = (cell: number, edge: string, op: string) => ({ param: `cells.${cell}.edge.${edge}.${op}.conv.weight` });

describe('weightLayout', () => {
  const space = new Nb201Space({ channels: 4, cellsPerStage: 1 });

  it('all-none: every path cut, only the fixed parts', () => {
    expect(space.weightLayout(NONE6)).toEqual({ segments: fixedSegments, allPathsCut: true });
  });

  it('all-skip: no path cut, but the cells add nothing', () => {
    const arch = Array(6).fill('skip_connect');
    expect(space.weightLayout(arch)).toEqual({ segments: fixedSegments, allPathsCut: false });
  });

  it('only 0->1->2->3 survives: its three edges per cell, pooling sized per stage', () => {
    // 1<-0 conv3x3, 2<-0 none, 2<-1 pool, 3<-0 none, 3<-1 none, 3<-2 conv1x1
    const arch = ['nor_conv_3x3', 'none', 'avg_pool_3x3', 'none', 'none', 'nor_conv_1x1'];
    const cell = (k: number, c: number) => [conv(k, '1<-0', 'nor_conv_3x3'), pool(c), conv(k, '3<-2', 'nor_conv_1x1')];
    expect(space.weightLayout(arch)).toEqual({
      segments: [...cell(0, 4), ...cell(1, 8), ...cell(2, 16), ...fixedSegments],
      allPathsCut: false,
    });
  });

  it('a path through one none edge is cut while the others remain', () => {
    // only 3<-0 is none: paths 0->1->3, 0->2->3, 0->1->2->3 remain
    const arch = ['skip_connect', 'skip_connect', 'skip_connect', 'none', 'nor_conv_1x1', 'skip_connect'];
    const layout = space.weightLayout(arch);
    expect(layout.allPathsCut).toBe(false);
    expect(layout.segments.slice(0, 3)).toEqual([
      conv(0, '3<-1', 'nor_conv_1x1'),
      conv(1, '3<-1', 'nor_conv_1x1'),
      conv(2, '3<-1', 'nor_conv_1x1'),
    ]);
  });

  it('an edge on several paths appears once per path', () => {
    const arch = Array(6).fill('nor_conv_3x3');
    const cell = (k: number) =>
      [
        ['3<-0'], // 0->3
        ['1<-0', '3<-1'], // 0->1->3
        ['2<-0', '3<-2'], // 0->2->3
        ['1<-0', '2<-1', '3<-2'], // 0->1->2->3
      ].flatMap((path) => path.map((e) => conv(k, e, 'nor_conv_3x3')));
    const { segments } = space.weightLayout(arch);
    expect(segments).toEqual([...cell(0), ...cell(1), ...cell(2), ...fixedSegments]);
    const count = (name: string) => segments.filter((s) => 'param' in s && s.param === name).length;
    expect(count('cells.1.edge.1<-0.nor_conv_3x3.conv.weight')).toBe(2);
    expect(count('cells.1.edge.3<-2.nor_conv_3x3.conv.weight')).toBe(2);
    expect(count('cells.1.edge.3<-0.nor_conv_3x3.conv.weight')).toBe(1);
  });

  it('pooling segments: C*9 entries of 1/9 per stage, 8 per cell when every edge pools', () => {
    const big = new Nb201Space({ channels: 16, cellsPerStage: 5 });
    const { segments } = big.weightLayout(Array(6).fill('avg_pool_3x3'));
    const pools = segments.filter((s) => 'constant' in s);
    // 4 paths of 1 + 2 + 2 + 3 edges = 8 segments per cell, 5 cells per stage
    expect(pools).toEqual([...Array(40).fill(pool(16)), ...Array(40).fill(pool(32)), ...Array(40).fill(pool(64))]);
    expect(segments.length).toBe(120 + FIXED.length);
  });

  it('names only parameters of the supernet, all among paramsOf(arch) when a path survives', () => {
    const supernet = space.createSupernet({ height: 8, width: 8, channels: 1, numClasses: 10 }, new Rng(3));
    try {
      const problems: string[] = [];
      for (const arch of new CandidateSet(space.choicePoints).enumerate()) {
        const layout = space.weightLayout(arch);
        const used = new Set(supernet.paramsOf(arch));
        for (const s of layout.segments) {
          if (!('param' in s)) continue;
          if (!supernet.store.params.has(s.param)) problems.push(`${arch}: unknown ${s.param}`);
          else if (!layout.allPathsCut && !used.has(s.param)) problems.push(`${arch}: ${s.param} not in paramsOf`);
        }
      }
      expect(problems).toEqual([]);
    } finally {
      supernet.dispose();
    }
  });
});

/** V(W) from a layout, in float64. */
function vectorOf(layout: WeightLayout, weights: WeightSnapshot): Float64Array {
  const parts: ArrayLike<number>[] = layout.segments.map((s) =>
    'param' in s ? weights.get(s.param)! : new Float64Array(s.size).fill(s.constant),
  );
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}


describe('weightLayout on a real supernet: the angle of a child', () => {
  it('equals the angle of a hand-built concatenation', () => {
    const space = new Nb201Space({ channels: 4, cellsPerStage: 1 });
    const supernet = space.createSupernet({ height: 8, width: 8, channels: 1, numClasses: 10 }, new Rng(11));
    try {
      // 1<-0 conv3x3, 2<-0 pool, 2<-1 conv1x1, 3<-0 skip, 3<-1 none, 3<-2 conv1x1
      const arch = space.parse('|nor_conv_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|skip_connect~0|none~1|nor_conv_1x1~2|');
      const w0 = supernet.store.snapshot();
      // move every weight (BN gammas start at 1, betas at 0)
      const rng = new Rng(5);
      for (const [name, v] of supernet.store.params) {
        const noise = Float32Array.from({ length: v.size }, () => 0.3 * rng.normal());
        tf.tidy(() => v.assign(tf.add(v, tf.tensor(noise, v.shape))));
      }
      const wt = supernet.store.snapshot();

      const fromLayout = float64Angle(vectorOf(space.weightLayout(arch), w0), vectorOf(space.weightLayout(arch), wt));

      // by hand: path 0->3 is a skip (nothing), 0->1->3 is cut, 0->2->3 = [pool, conv 3<-2],
      // 0->1->2->3 = [conv 1<-0, conv 2<-1, conv 3<-2]; cells 0, 1, 2 have 4, 8, 16 channels
      const handNames: (string | number)[] = [];
      [4, 8, 16].forEach((c, k) => {
        handNames.push(
          c * 9,
          `cells.${k}.edge.3<-2.nor_conv_1x1.conv.weight`,
          `cells.${k}.edge.1<-0.nor_conv_3x3.conv.weight`,
          `cells.${k}.edge.2<-1.nor_conv_1x1.conv.weight`,
          `cells.${k}.edge.3<-2.nor_conv_1x1.conv.weight`,
        );
      });
      handNames.push(...FIXED);
      const hand = (w: WeightSnapshot): Float64Array => {
        const values: number[] = [];
        for (const item of handNames) {
          if (typeof item === 'number') for (let i = 0; i < item; i++) values.push(1 / 9);
          else values.push(...Array.from(w.get(item)!));
        }
        return Float64Array.from(values);
      };
      const byHand = float64Angle(hand(w0), hand(wt));

      expect(byHand).toBeGreaterThan(0.1);
      expect(fromLayout).toBeCloseTo(byHand, 12);
      // and the constant pooling part really adds norm: without it the angle differs
      const noPool = (w: WeightSnapshot) =>
        Float64Array.from(handNames.flatMap((n) => (typeof n === 'string' ? Array.from(w.get(n)!) : [])));
      expect(Math.abs(float64Angle(noPool(w0), noPool(wt)) - byHand)).toBeGreaterThan(1e-6);
    } finally {
      supernet.dispose();
    }
  });
});
