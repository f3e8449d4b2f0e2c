/**
 * Max pool (fill-in MaxPoolGrad) and avg pool (stock wasm kernels), forward
 * and gradient through the public API, against the float64 reference.
 * Tolerance: max abs error <= 1e-4 * max(1, max |ref|).
 */
import * as tf from '@tensorflow/tfjs';
import { counts, expectClose, expectShape, explicitPad, Pad, padName, randomPair } from './helpers';
import { avgPool, avgPoolGrad, maxPool, maxPoolGrad, PoolParams, Shape4 } from './reference';

interface Case {
  filter: number;
  stride: number;
  pad: Pad;
}

const cases: Case[] = [];
for (const filter of [2, 3, 5])
  for (const stride of [1, 2])
    for (const pad of ['same', 'valid', 1, explicitPad(1)] as Pad[]) {
      if (typeof pad !== 'string' && filter === 2) continue; // padding must be smaller than the window
      cases.push({ filter, stride, pad });
    }
cases.push({ filter: 5, stride: 1, pad: explicitPad(2) });

const xShape: Shape4 = [2, 9, 8, 5];

function params(c: Case): PoolParams {
  return { filter: [c.filter, c.filter], stride: [c.stride, c.stride], pad: c.pad };
}

describe('pooling gradients on wasm vs float64 reference', () => {
  test.each(cases.map((c) => [`max pool ${c.filter}x${c.filter}, stride ${c.stride}, pad ${padName(c.pad)}`, c] as const))(
    '%s',
    (_name, c) => {
      const before = counts();
      tf.tidy(() => {
        // channel 0..1 mixed sign, channel 2 all negative, channels 3..4 positive
        const x = randomPair(xShape, 100 + c.filter * 10 + c.stride);
        for (let p = 0; p < x.v.length; p += 5) {
          x.v[p + 2] = -1 - Math.abs(x.v[p + 2]);
          x.v[p + 3] = 1 + Math.abs(x.v[p + 3]);
          x.v[p + 4] = Math.abs(x.v[p + 4]);
        }
        const xt = tf.tensor4d(Float32Array.from(x.v), xShape);
        const ref = maxPool(x.v, xShape, params(c));
        const r = randomPair(ref.shape, 300 + c.filter);
        const f = (a: tf.Tensor): tf.Tensor4D => tf.maxPool(a as tf.Tensor4D, c.filter, c.stride, c.pad);
        const y = f(xt);
        expectShape('y', y, ref.shape);
        expectClose('forward', y.dataSync(), ref.data);
        const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), r.t)))(xt);
        expectClose('dx', dx.dataSync(), maxPoolGrad(x.v, xShape, r.v, params(c)).data);
      });
      expect(counts()).toEqual(before);
    },
  );

  test('a window whose inputs are all negative sends its gradient to its maximum', () => {
    // 1x4x4x1, 2x2 windows, stride 2: every window is negative, the max sits at different places
    const v = [-5, -4, -1, -9, -3, -0.5, -8, -7, -2, -6, -3, -3, -9, -8, -4, -0.25];
    const x = tf.tensor4d(v, [1, 4, 4, 1]);
    const dy = tf.tensor4d([1, 10, 100, 1000], [1, 2, 2, 1]);
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), dy)))(x);
    expect(Array.from(dx.dataSync())).toEqual([0, 0, 10, 0, 0, 1, 0, 0, 100, 0, 0, 0, 0, 0, 0, 1000]);
    expect(Array.from(maxPoolGrad(Float64Array.from(v), [1, 4, 4, 1], Float64Array.from([1, 10, 100, 1000]), {
      filter: [2, 2],
      stride: [2, 2],
      pad: 'valid',
    }).data)).toEqual([0, 0, 10, 0, 0, 1, 0, 0, 100, 0, 0, 0, 0, 0, 0, 1000]);
    tf.dispose([x, dy, dx]);
  });

  test('all-zero and tied windows: the first maximum wins', () => {
    const x = tf.tensor4d([0, 0, 0, 0, 2, 1, 2, 2], [1, 2, 4, 1]);
    const dy = tf.tensor4d([3, 5], [1, 1, 2, 1]);
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), dy)))(x);
    // window 0 = {0,0 / 2,1} -> max 2 at (1,0); window 1 = {0,0 / 2,2} -> first max at (1,2)
    expect(Array.from(dx.dataSync())).toEqual([0, 0, 0, 0, 3, 0, 5, 0]);
    tf.dispose([x, dy, dx]);
  });

  test.each(cases.map((c) => [`avg pool ${c.filter}x${c.filter}, stride ${c.stride}, pad ${padName(c.pad)}`, c] as const))(
    '%s',
    (_name, c) => {
      tf.tidy(() => {
        const x = randomPair(xShape, 500 + c.filter * 10 + c.stride);
        const ref = avgPool(x.v, xShape, params(c));
        const r = randomPair(ref.shape, 600 + c.filter);
        const f = (a: tf.Tensor): tf.Tensor4D => tf.avgPool(a as tf.Tensor4D, c.filter, c.stride, c.pad);
        const y = f(x.t);
        expectShape('y', y, ref.shape);
        expectClose('forward', y.dataSync(), ref.data);
        const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), r.t)))(x.t);
        expectClose('dx', dx.dataSync(), avgPoolGrad(xShape, r.v, params(c)).data);
      });
    },
  );
});
