import { Rng, tf } from '@absnas/core';
import { expectedCost } from '../src/cost-model';
import { binaryGateAlphaGrad, samplePair, softmax } from '../src/gates';

describe('binary gates', () => {
  it('matches the formula on a hand-computed case', () => {
    // p = (0.25, 0.75), dL/dg = (2, -1):
    // dL/da0 = 2*0.25*(1-0.25) + (-1)*0.75*(0-0.25) = 0.375 + 0.1875 = 0.5625
    // dL/da1 = 2*0.25*(0-0.75) + (-1)*0.75*(1-0.75) = -0.375 - 0.1875 = -0.5625
    const g = binaryGateAlphaGrad([2, -1], [0.25, 0.75]);
    expect(g[0]).toBeCloseTo(0.5625, 12);
    expect(g[1]).toBeCloseTo(-0.5625, 12);
  });

  it('on a toy layer, the gate gradient from tfjs through the formula equals float64 by hand', () => {
    // y = sum_j g_j * <w_j, x>, L = (y - t)^2, so dL/dg_j = 2 (y - t) <w_j, x>
    const rng = new Rng(11);
    for (let trial = 0; trial < 10; trial++) {
      const x = Array.from({ length: 6 }, () => rng.normal());
      const w = [0, 1].map(() => Array.from({ length: 6 }, () => rng.normal()));
      const t = rng.normal();
      const alpha = [rng.normal(), rng.normal()];
      const p = softmax(alpha);
      const active = rng.int(2);
      const gate = tf.variable(tf.tensor1d(active === 0 ? [1, 0] : [0, 1]));
      const { grads } = tf.variableGrads(() => {
        const outs = tf.stack(w.map((wj) => tf.sum(tf.mul(tf.tensor1d(wj), tf.tensor1d(x)))));
        return tf.square(tf.sub(tf.sum(tf.mul(gate, outs)), t)) as tf.Scalar;
      }, [gate]);
      const dLdg = Array.from(grads[gate.name].dataSync());
      const got = binaryGateAlphaGrad(dLdg, p);
      // float64 reference
      const dot = w.map((wj) => wj.reduce((s, v, i) => s + v * x[i], 0));
      const y = dot[active];
      const dLdgRef = dot.map((d) => 2 * (y - t) * d);
      const want = p.map((pi, i) => dLdgRef.reduce((s, g, j) => s + g * p[j] * ((i === j ? 1 : 0) - pi), 0));
      got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(want[i]))));
      gate.dispose();
      Object.values(grads).forEach((g) => g.dispose());
    }
  });

  it('samples two distinct candidates, more often the likelier ones', () => {
    const rng = new Rng(3);
    const counts = [0, 0, 0];
    for (let i = 0; i < 4000; i++) {
      const pair = samplePair([0.7, 0.2, 0.1], () => rng.next());
      expect(new Set(pair).size).toBe(2);
      counts[pair[0]]++;
    }
    expect(counts[0]).toBeGreaterThan(counts[1]);
    expect(counts[1]).toBeGreaterThan(counts[2]);
    expect(samplePair([1], () => rng.next())).toEqual([0]);
  });
});

describe('expected cost', () => {
  it('has the softmax gradient p_i (c_i - E[c]), checked by finite differences', () => {
    const model = { unit: 'FLOPs', base: 100, marginal: [[0, 30, 50], [0, 7]] };
    const alpha = [[0.1, -0.4, 0.3], [0.5, -0.2]];
    const { value, gradAlpha } = expectedCost(model, alpha.map(softmax));
    const e = (a: number[][]) => expectedCost(model, a.map(softmax)).value;
    expect(value).toBeCloseTo(e(alpha), 12);
    const h = 1e-6;
    alpha.forEach((row, i) =>
      row.forEach((_, k) => {
        const up = alpha.map((r) => [...r]);
        const down = alpha.map((r) => [...r]);
        up[i][k] += h;
        down[i][k] -= h;
        expect(gradAlpha[i][k]).toBeCloseTo((e(up) - e(down)) / (2 * h), 6);
      }),
    );
  });
});
