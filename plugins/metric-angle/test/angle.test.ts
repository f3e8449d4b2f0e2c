import { Rng, tf, WeightLayout, WeightSegment } from '@absnas/core';
import { float64Angle } from '../../../test/fixtures/angle';
import { AngleMetric, layoutAngle, segmentStats } from '../src/angle';

/** The angle as the method defines it: arccos of the cosine of the concatenated vectors, float64. */
function directAngle(layout: WeightLayout, w0: Map<string, Float32Array>, wt: Map<string, Float32Array>): number {
  const a: number[] = [];
  const b: number[] = [];
  for (const seg of layout.segments) {
    if ('param' in seg) {
      a.push(...Array.from(w0.get(seg.param) as Float32Array));
      b.push(...Array.from(wt.get(seg.param) as Float32Array));
    } else {
      for (let i = 0; i < seg.size; i++) {
        a.push(seg.constant);
        b.push(seg.constant);
      }
    }
  }
  return float64Angle(a, b);
}

function randomWeights(rng: Rng, sizes: Record<string, number>): [Map<string, Float32Array>, Map<string, Float32Array>] {
  const w0 = new Map<string, Float32Array>();
  const wt = new Map<string, Float32Array>();
  for (const [name, n] of Object.entries(sizes)) {
    const a = new Float32Array(n).map(() => rng.normal() * 0.1);
    // current = base moved by a random amount of its own size
    const scale = rng.next();
    w0.set(name, a);
    wt.set(name, a.map((x) => x + scale * 0.1 * rng.normal()));
  }
  return [w0, wt];
}

describe('angle from per-segment statistics', () => {
  it('equals the direct float64 angle of the concatenated vectors, on random layouts', () => {
    const rng = new Rng(42);
    const sizes: Record<string, number> = { stem: 27, a: 64, b: 9, c: 144, fc: 40 };
    for (let trial = 0; trial < 50; trial++) {
      const [w0, wt] = randomWeights(rng, sizes);
      const names = Object.keys(sizes);
      const segments: WeightSegment[] = [];
      const n = 1 + rng.int(8);
      for (let i = 0; i < n; i++) {
        // repeated params (an edge on several paths) and pooling constants
        segments.push(rng.next() < 0.25 ? { constant: 1 / 9, size: 9 * (1 + rng.int(4)) } : { param: rng.pick(names) });
      }
      const layout = { segments, allPathsCut: false };
      const stats = new Map(names.map((k) => [k, segmentStats(w0.get(k) as Float32Array, wt.get(k) as Float32Array)]));
      const got = layoutAngle(layout, (p) => stats.get(p) as ReturnType<typeof segmentStats>);
      expect(Math.abs(got - directAngle(layout, w0, wt))).toBeLessThan(1e-9);
    }
  });

  it('is 0 for unchanged weights and pi/2 for orthogonal ones (hand-computed)', () => {
    const same = segmentStats(new Float32Array([1, 2, 3]), new Float32Array([1, 2, 3]));
    expect(layoutAngle({ segments: [{ param: 'w' }], allPathsCut: false }, () => same)).toBeCloseTo(0, 6);
    const ortho = segmentStats(new Float32Array([1, 0]), new Float32Array([0, 2]));
    expect(layoutAngle({ segments: [{ param: 'w' }], allPathsCut: false }, () => ortho)).toBeCloseTo(Math.PI / 2, 12);
    // a constant segment of norm^2 1 next to the orthogonal pair: cos = 1 / sqrt(2 * 5)
    const mixed = layoutAngle({ segments: [{ param: 'w' }, { constant: 1, size: 1 }], allPathsCut: false }, () => ortho);
    expect(mixed).toBeCloseTo(Math.acos(1 / Math.sqrt(2 * 5)), 12);
  });

  it("scores a child whose every path is cut as the worst (0) by default and with allCut 'zero'", () => {
    const s = segmentStats(new Float32Array([1, 0]), new Float32Array([0, 1]));
    expect(layoutAngle({ segments: [{ param: 'w' }], allPathsCut: true }, () => s)).toBe(0);
    expect(layoutAngle({ segments: [{ param: 'w' }], allPathsCut: true }, () => s, 'zero')).toBe(0);
  });

  it("with allCut 'fixed-parts', gives an all-cut child the angle of its (fixed-part) segments", () => {
    const s = segmentStats(new Float32Array([1, 0]), new Float32Array([0, 1]));
    expect(layoutAngle({ segments: [{ param: 'w' }], allPathsCut: true }, () => s, 'fixed-parts')).toBeCloseTo(Math.PI / 2, 12);
    // a child with live paths is scored alike by both conventions
    const layout = { segments: [{ param: 'w' }, { constant: 1, size: 3 }], allPathsCut: false };
    expect(layoutAngle(layout, () => s, 'fixed-parts')).toBe(layoutAngle(layout, () => s, 'zero'));
  });
});

describe('AngleMetric', () => {
  it('reads W0 from the context and Wt from the supernet', async () => {
    const rng = new Rng(3);
    const [w0, wt] = randomWeights(rng, { x: 50, y: 20 });
    const vars = new Map([...wt].map(([k, v]) => [k, tf.variable(tf.tensor(v), true, `angle-test-${k}`)]));
    const supernet = { store: { get: (k: string) => vars.get(k) } };
    const layouts: Record<string, WeightLayout> = {
      A: { segments: [{ param: 'x' }, { param: 'y' }, { param: 'x' }], allPathsCut: false },
      B: { segments: [{ param: 'y' }, { constant: 0.25, size: 16 }], allPathsCut: false },
    };
    const space = { weightLayout: (arch: readonly string[]) => layouts[arch[0]] };
    const scorer = await new AngleMetric().prepare({ space, supernet, base: w0 } as never);
    for (const k of ['A', 'B']) {
      expect(Math.abs((scorer.score([k]) as number) - directAngle(layouts[k], w0, wt))).toBeLessThan(1e-9);
    }
    scorer.dispose?.();
    vars.forEach((v) => v.dispose());
  });

  it("takes the all-cut convention from its options ('zero' when absent) and refuses another", async () => {
    const rng = new Rng(4);
    const [w0, wt] = randomWeights(rng, { fixed: 30 });
    const vars = new Map([...wt].map(([k, v]) => [k, tf.variable(tf.tensor(v), true, `angle-cut-${k}`)]));
    const supernet = { store: { get: (k: string) => vars.get(k) } };
    const cut: WeightLayout = { segments: [{ param: 'fixed' }], allPathsCut: true };
    const space = { weightLayout: () => cut };
    const ctx = { space, supernet, base: w0 } as never;
    expect(new AngleMetric().options.allCut).toBe('zero');
    expect((await new AngleMetric().prepare(ctx)).score(['x'])).toBe(0);
    const fixed = (await new AngleMetric({ allCut: 'fixed-parts' }).prepare(ctx)).score(['x']) as number;
    expect(Math.abs(fixed - directAngle(cut, w0, wt))).toBeLessThan(1e-9);
    expect(fixed).toBeGreaterThan(0);
    expect(() => new AngleMetric({ allCut: 'worst' as never })).toThrow(/allCut.*zero, fixed-parts/);
    vars.forEach((v) => v.dispose());
  });
});
