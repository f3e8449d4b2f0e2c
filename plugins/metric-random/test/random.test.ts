import { CandidateSet, MetricContext, Rng } from '@absnas/core';
import { RandomMetric, plugin, randomScore } from '../src';

const points = Array.from({ length: 6 }, (_, i) => ({ id: `e${i}`, candidates: ['a', 'b', 'c', 'd', 'e'] }));
const candidates = new CandidateSet(points);
const archs = [...candidates.enumerate()];

function ctx(seed: number): MetricContext {
  return { candidates, rng: new Rng(seed) } as unknown as MetricContext;
}

describe('RandomMetric', () => {
  it('is deterministic and independent of the order in which children are scored', async () => {
    const metric = new RandomMetric({ seed: 7 });
    const a = await metric.prepare(ctx(1));
    const forward = archs.map((x) => a.score(x) as number);
    const b = await metric.prepare(ctx(1));
    const backward = [...archs].reverse().map((x) => b.score(x) as number).reverse();
    expect(backward).toEqual(forward);
    // scoring a child twice gives the same number
    expect(a.score(archs[123])).toBe(forward[123]);
  });

  it('spreads scores uniformly over [0, 1) with distinct values', async () => {
    const s = await new RandomMetric({ seed: 0 }).prepare(ctx(2));
    const scores = archs.map((x) => s.score(x) as number);
    expect(Math.min(...scores)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...scores)).toBeLessThan(1);
    expect(new Set(scores).size).toBe(scores.length);
    const mean = scores.reduce((p, q) => p + q, 0) / scores.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    const bins = new Array(10).fill(0);
    for (const v of scores) bins[Math.floor(v * 10)]++;
    for (const n of bins) expect(Math.abs(n - scores.length / 10)).toBeLessThan(0.06 * scores.length / 10 + 40);
  });

  it('gives independent rankings for different seeds and scoring contexts', async () => {
    const corr = (x: number[], y: number[]): number => {
      const mx = x.reduce((a, b) => a + b, 0) / x.length;
      const my = y.reduce((a, b) => a + b, 0) / y.length;
      let sxy = 0;
      let sxx = 0;
      let syy = 0;
      x.forEach((v, i) => {
        sxy += (v - mx) * (y[i] - my);
        sxx += (v - mx) ** 2;
        syy += (y[i] - my) ** 2;
      });
      return sxy / Math.sqrt(sxx * syy);
    };
    const score = async (seed: number, ctxSeed: number) => {
      const s = await new RandomMetric({ seed }).prepare(ctx(ctxSeed));
      return archs.map((x) => s.score(x) as number);
    };
    const base = await score(0, 1);
    expect(Math.abs(corr(base, await score(1, 1)))).toBeLessThan(0.05);
    expect(Math.abs(corr(base, await score(0, 2)))).toBeLessThan(0.05);
    expect(randomScore(['a'], 3, 4)).toBe(randomScore(['a'], 3, 4));
    expect(randomScore(['a'], 3, 4)).not.toBe(randomScore(['b'], 3, 4));
  });

  it('is a metric plugin with a seed option', () => {
    expect(plugin.kind).toBe('metric');
    expect(plugin.name).toBe('@absnas/metric-random');
  });
});
