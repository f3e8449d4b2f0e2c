/**
 * batchNormTrain (custom gradient) and the BatchNorm layer on the current
 * backend (wasm by default, ABSNAS_BACKEND otherwise), forward and gradients
 * through tfjs's public gradient API, against the float64 reference.
 * Tolerance: max abs error <= 1e-4 * max(1, max |ref|).
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormInference, batchNormTrain } from '../../src/backend';
import { BatchNorm } from '../../src/nn/layers';
import { ParamStore } from '../../src/nn/params';
import { Rng } from '../../src/util/rng';
import { counts, evaluate, expectClose, randomPair, describeKernelSets } from './helpers';
import { batchNorm, batchNormGrad, Shape4 } from './reference';

const EPS = 1e-5;

const shapes: Shape4[] = [
  [4, 6, 5, 3],
  [1, 4, 4, 8], // one image
  [3, 1, 1, 5], // 1x1 maps
  [8, 16, 16, 16],
];

describeKernelSets('batchNormTrain vs float64 reference', () => {
  test.each(shapes.flatMap((s) => [[`[${s}] affine`, s, true] as const, [`[${s}] not affine`, s, false] as const]))(
    '%s',
    async (_name, shape, affine) => {
      const c = shape[3];
      const before = counts();
      const o = await evaluate(() => {
        // an offset mean, so that a one-pass variance would lose digits
        const x = randomPair(shape, 11 + c, 2, 4);
        const gamma = randomPair([c], 12, 0.5, 1.5);
        const beta = randomPair([c], 13);
        const r = randomPair(shape, 14);
        const g = affine ? gamma : undefined;
        const b = affine ? beta : undefined;
        const out = batchNormTrain(x.t as tf.Tensor4D, g?.t as tf.Tensor1D | undefined, b?.t as tf.Tensor1D | undefined, EPS);
        const mean = tf.keep(out.mean);
        const variance = tf.keep(out.variance);
        const loss = (...ins: tf.Tensor[]) => {
          const s = batchNormTrain(ins[0] as tf.Tensor4D, ins[1] as tf.Tensor1D | undefined, ins[2] as tf.Tensor1D | undefined, EPS);
          s.mean.dispose();
          s.variance.dispose();
          return tf.sum(tf.mul(s.y, r.t));
        };
        const grads = tf.grads(loss)(affine ? [x.t, gamma.t, beta.t] : [x.t]);
        return {
          y: out.y,
          mean,
          variance,
          dx: grads[0],
          dgamma: grads[1] ?? tf.zeros([c]),
          dbeta: grads[2] ?? tf.zeros([c]),
          xv: x.v,
          gv: g?.v,
          bv: b?.v,
          rv: r.v,
        };
      });
      const ref = batchNorm(o.xv, shape, EPS, o.gv, o.bv);
      expectClose('forward', o.y.values, ref.y);
      expectClose('mean', o.mean.values, ref.mean);
      expectClose('variance', o.variance.values, ref.variance);
      const grad = batchNormGrad(o.xv, shape, o.rv, EPS, o.gv);
      // dx sums to ~0 per channel; its scale is that of dy * gamma / std
      expectClose('dx', o.dx.values, grad.dx);
      if (affine) {
        expectClose('dgamma', o.dgamma.values, grad.dgamma);
        expectClose('dbeta', o.dbeta.values, grad.dbeta);
      }
      expect(counts()).toEqual(before);
    },
  );

  test('gamma without beta is refused', () => {
    const x = tf.zeros([1, 2, 2, 2]) as tf.Tensor4D;
    expect(() => batchNormTrain(x, tf.ones([2]) as tf.Tensor1D, undefined, EPS)).toThrow(/gamma and beta together/);
    x.dispose();
  });

  test('inference form: (x - mean) / sqrt(var + eps) * gamma + beta', async () => {
    const shape: Shape4 = [2, 3, 3, 4];
    const o = await evaluate(() => {
      const x = randomPair(shape, 21);
      const mean = randomPair([4], 22);
      const variance = randomPair([4], 23, 0.5, 2);
      const gamma = randomPair([4], 24);
      const beta = randomPair([4], 25);
      const y = batchNormInference(x.t as tf.Tensor4D, mean.t as tf.Tensor1D, variance.t as tf.Tensor1D, gamma.t as tf.Tensor1D, beta.t as tf.Tensor1D, EPS);
      return { y, x: x.v, mean: mean.v, variance: variance.v, gamma: gamma.v, beta: beta.v };
    });
    const want = new Float64Array(o.x.length);
    for (let i = 0; i < want.length; i++) {
      const k = i % 4;
      want[i] = ((o.x[i] - o.mean[k]) / Math.sqrt(o.variance[k] + EPS)) * o.gamma[k] + o.beta[k];
    }
    expectClose('y', o.y.values, want);
  });
});

describe('BatchNorm layer', () => {
  test('train mode: batch statistics, running statistics with momentum and the unbiased variance', async () => {
    const store = new ParamStore(new Rng(1));
    const bn = new BatchNorm(store, 'bn', 3, true);
    const shape: Shape4 = [2, 3, 2, 3];
    const x = randomPair(shape, 31, -1, 2);
    const before = counts();
    const t = await evaluate(() => ({ y: bn.apply(x.t as tf.Tensor4D, 'train'), rm: tf.clone(bn.runningMean), rv: tf.clone(bn.runningVar) }));
    const ref = batchNorm(x.v, shape, bn.eps, new Float64Array([1, 1, 1]), new Float64Array(3));
    expectClose('y', t.y.values, ref.y);
    const n = 12;
    expectClose('running mean', t.rm.values, Array.from(ref.mean, (m) => 0.1 * m));
    expectClose('running var', t.rv.values, Array.from(ref.variance, (v) => 0.9 + 0.1 * v * (n / (n - 1))));
    expect(counts()).toEqual(before);
    // eval mode uses the running statistics
    const e = await evaluate(() => ({ y: bn.apply(x.t as tf.Tensor4D, 'eval') }));
    const rm = t.rm.values;
    const rv = t.rv.values;
    expectClose('eval', e.y.values, Array.from(x.v, (v, i) => (v - rm[i % 3]) / Math.sqrt(rv[i % 3] + bn.eps)));
    x.t.dispose();
    store.dispose();
  });

  test('the gradient reaches gamma and beta through tf.variableGrads', async () => {
    const store = new ParamStore(new Rng(2));
    const bn = new BatchNorm(store, 'bn', 4, true);
    const shape: Shape4 = [3, 2, 2, 4];
    const x = randomPair(shape, 41);
    const r = randomPair(shape, 42);
    const o = await evaluate(() => {
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(bn.apply(x.t as tf.Tensor4D, 'train'), r.t)) as tf.Scalar, [
        bn.gamma as tf.Variable,
        bn.beta as tf.Variable,
      ]);
      return { dgamma: grads[(bn.gamma as tf.Variable).name], dbeta: grads[(bn.beta as tf.Variable).name] };
    });
    const ref = batchNormGrad(x.v, shape, r.v, bn.eps, new Float64Array([1, 1, 1, 1]));
    expectClose('dgamma', o.dgamma.values, ref.dgamma);
    expectClose('dbeta', o.dbeta.values, ref.dbeta);
    tf.dispose([x.t, r.t]);
    store.dispose();
  });
});
