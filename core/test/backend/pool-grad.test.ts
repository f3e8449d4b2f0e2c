/**
 * Max pool and avg pool (on wasm: the fill-ins MaxPoolGrad and AvgPoolGrad),
 * forward and gradient through the public API on the backend under test,
 * against the float64 reference.
 * Tolerance: max abs error <= 1e-4 * max(1, max |ref|).
 */
import * as tf from '@tensorflow/tfjs';
import { avgPoolGradByDepthwise } from '../../src/backend';
import { BACKEND_UNDER_TEST, counts, describeKernelSets, evaluate, expectClose, expectShape, explicitPad, Pad, padName, randomPair } from './helpers';
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

describeKernelSets('pooling gradients vs float64 reference', () => {
  test.each(cases.map((c) => [`max pool ${c.filter}x${c.filter}, stride ${c.stride}, pad ${padName(c.pad)}`, c] as const))(
    '%s',
    async (_name, c) => {
      const before = counts();
      const o = await evaluate(() => {
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
        const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), r.t)))(xt);
        return { y, dx, ref, xv: x.v, rv: r.v };
      });
      expectShape('y', o.y, o.ref.shape);
      expectClose('forward', o.y.values, o.ref.data);
      expectClose('dx', o.dx.values, maxPoolGrad(o.xv, xShape, o.rv, params(c)).data);
      expect(counts()).toEqual(before);
    },
  );

  test('a window whose inputs are all negative sends its gradient to its maximum', async () => {
    // 1x4x4x1, 2x2 windows, stride 2: every window is negative, the max sits at different places
    const v = [-5, -4, -1, -9, -3, -0.5, -8, -7, -2, -6, -3, -3, -9, -8, -4, -0.25];
    const { dx } = await evaluate(() => {
      const x = tf.tensor4d(v, [1, 4, 4, 1]);
      const dy = tf.tensor4d([1, 10, 100, 1000], [1, 2, 2, 1]);
      return { dx: tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), dy)))(x) };
    });
    expect(Array.from(dx.values)).toEqual([0, 0, 10, 0, 0, 1, 0, 0, 100, 0, 0, 0, 0, 0, 0, 1000]);
    expect(Array.from(maxPoolGrad(Float64Array.from(v), [1, 4, 4, 1], Float64Array.from([1, 10, 100, 1000]), {
      filter: [2, 2],
      stride: [2, 2],
      pad: 'valid',
    }).data)).toEqual([0, 0, 10, 0, 0, 1, 0, 0, 100, 0, 0, 0, 0, 0, 0, 1000]);
  });

  test('all-zero and tied windows: the gradient goes to one maximum (on wasm and cpu the first, as in TensorFlow)', async () => {
    const { dx } = await evaluate(() => {
      const x = tf.tensor4d([0, 0, 0, 0, 2, 1, 2, 2], [1, 2, 4, 1]);
      const dy = tf.tensor4d([3, 5], [1, 1, 2, 1]);
      return { dx: tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), dy)))(x) };
    });
    // window 0 = {0,0 / 2,1} -> max 2 at (1,0); window 1 = {0,0 / 2,2} -> first max at (1,2)
    if (BACKEND_UNDER_TEST === 'wasm' || BACKEND_UNDER_TEST === 'cpu') {
      expect(Array.from(dx.values)).toEqual([0, 0, 0, 0, 3, 0, 5, 0]);
    } else {
      // tfjs-backend-webgpu routes a tie to its last maximum: also a valid subgradient
      expect([
        [0, 0, 0, 0, 3, 0, 5, 0],
        [0, 0, 0, 0, 3, 0, 0, 5],
      ]).toContainEqual(Array.from(dx.values));
    }
  });

  test.each(cases.map((c) => [`avg pool ${c.filter}x${c.filter}, stride ${c.stride}, pad ${padName(c.pad)}`, c] as const))(
    '%s',
    async (_name, c) => {
      const before = counts();
      const o = await evaluate(() => {
        const x = randomPair(xShape, 500 + c.filter * 10 + c.stride);
        const ref = avgPool(x.v, xShape, params(c));
        const r = randomPair(ref.shape, 600 + c.filter);
        const f = (a: tf.Tensor): tf.Tensor4D => tf.avgPool(a as tf.Tensor4D, c.filter, c.stride, c.pad);
        const y = f(x.t);
        const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), r.t)))(x.t);
        return { y, dx, ref, rv: r.v };
      });
      expectShape('y', o.y, o.ref.shape);
      expectClose('forward', o.y.values, o.ref.data);
      expectClose('dx', o.dx.values, avgPoolGrad(xShape, o.rv, params(c)).data);
      expect(counts()).toEqual(before);
    },
  );

  // the composition used where a backend's own AvgPoolGrad is wrong (webgpu), checked on every backend
  test.each(cases.filter((c) => c.filter !== 2).map((c) => [`avg pool gradient by depthwise convolution ${c.filter}x${c.filter}, stride ${c.stride}, pad ${padName(c.pad)}`, c] as const))(
    '%s',
    async (_name, c) => {
      const o = await evaluate(() => {
        const x = randomPair(xShape, 700 + c.filter * 10 + c.stride);
        const ref = avgPool(x.v, xShape, params(c));
        const r = randomPair(ref.shape, 800 + c.filter);
        const dx = avgPoolGradByDepthwise(r.t as tf.Tensor4D, x.t as tf.Tensor4D, { filterSize: c.filter, strides: c.stride, pad: c.pad });
        return { dx, rv: r.v };
      });
      expectClose('dx', o.dx.values, avgPoolGrad(xShape, o.rv, params(c)).data);
    },
  );
});
