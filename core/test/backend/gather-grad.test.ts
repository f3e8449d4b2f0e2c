/**
 * The gradient of gather (UnsortedSegmentSum: a fill-in on wasm) and OneHot
 * on the backend under test, against the float64 reference. Tolerance: max abs error <=
 * 1e-4 * max(1, max |ref|).
 */
import * as tf from '@tensorflow/tfjs';
import { counts, evaluate, expectClose, expectShape, randomPair, wasmTest } from './helpers';
import { seeded, unsortedSegmentSum } from './reference';

function indices(n: number, range: number, seed: number): number[] {
  return Array.from(seeded(n, seed, 0, range), (v) => Math.floor(v));
}

describe('gather gradient (UnsortedSegmentSum) vs float64 reference', () => {
  test.each([
    ['axis 0, 2-D params, repeated indices', [7, 5], 0, 13],
    ['axis 0, 3-D params', [6, 4, 3], 0, 9],
    ['axis 1, 3-D params', [4, 6, 5], 1, 11],
    ['axis 2, 3-D params', [3, 4, 8], 2, 20],
    ['axis 0, 1-D params', [10], 0, 25],
  ] as [string, number[], number, number][])('%s', async (_name, shape, axis, n) => {
    const before = counts();
    const idx = indices(n, shape[axis], 50 + n);
    const o = await evaluate(() => {
      const params = randomPair(shape, 40 + n);
      const it = tf.tensor1d(idx, 'int32');
      const y = tf.gather(params.t, it, axis);
      const r = randomPair(y.shape, 60 + n);
      const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.gather(a, it, axis), r.t)))(params.t);
      return { g, pv: params.v, rv: r.v };
    });
    {
      const { g } = o;
      const params = { v: o.pv };
      const r = { v: o.rv };
      expectShape('grad', g, shape);
      // reference: move the gathered axis to the front, segment-sum, move it back
      const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
      const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      const want = new Float64Array(params.v.length);
      for (let o = 0; o < outer; o++) {
        const block = new Float64Array(n * inner);
        for (let p = 0; p < n; p++)
          for (let e = 0; e < inner; e++) block[p * inner + e] = r.v[(o * n + p) * inner + e];
        const s = unsortedSegmentSum(block, [n, inner], idx, [n], shape[axis]).data;
        for (let k = 0; k < shape[axis]; k++)
          for (let e = 0; e < inner; e++) want[(o * shape[axis] + k) * inner + e] = s[k * inner + e];
      }
      expectClose('grad', g.values, want);
    }
    expect(counts()).toEqual(before);
  });

  test('batchDims 1', async () => {
    const idx = [
      [0, 4, 4, 1],
      [2, 2, 2, 3],
      [1, 0, 1, 0],
    ];
    const o = await evaluate(() => {
      const params = randomPair([3, 5, 2], 70);
      const it = tf.tensor2d(idx, [3, 4], 'int32');
      const r = randomPair([3, 4, 2], 71);
      const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.gather(a, it, 1, 1), r.t)))(params.t);
      return { g, rv: r.v };
    });
    {
      const r = { v: o.rv };
      const want = new Float64Array(30);
      for (let b = 0; b < 3; b++)
        for (let p = 0; p < 4; p++)
          for (let e = 0; e < 2; e++) want[(b * 5 + idx[b][p]) * 2 + e] += r.v[(b * 4 + p) * 2 + e];
      expectClose('grad', o.g.values, want);
    }
  });

  test('tf.unsortedSegmentSum directly', async () => {
    const ids = [2, 0, 2, 3, 3, 1];
    const o = await evaluate(() => {
      const x = randomPair([6, 3], 80);
      return { y: tf.unsortedSegmentSum(x.t, tf.tensor1d(ids, 'int32'), 4), xv: x.v };
    });
    expectShape('y', o.y, [4, 3]);
    expectClose('float32', o.y.values, unsortedSegmentSum(o.xv, [6, 3], ids, [6], 4).data);
  });

  // Beyond what a gather's gradient needs (float32, ids in range), as TensorFlow does; the
  // webgpu backend of tfjs 4.22 neither drops out-of-range ids nor sums int32 correctly.
  wasmTest('int32 data, and ids out of range dropped', async () => {
    const ids = [2, 0, 2, -1, 7, 1];
    const o = await evaluate(() => {
      const x = randomPair([6, 3], 80);
      const xi = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2], 'int32');
      const yi = tf.unsortedSegmentSum(xi, tf.tensor1d([1, 1, 0, 1], 'int32'), 2);
      return { y: tf.unsortedSegmentSum(x.t, tf.tensor1d(ids, 'int32'), 4), yi, xv: x.v };
    });
    expectClose('float32', o.y.values, unsortedSegmentSum(o.xv, [6, 3], ids, [6], 4).data);
    expect(o.yi.dtype).toBe('int32');
    expect(Array.from(o.yi.values)).toEqual([5, 6, 1 + 3 + 7, 2 + 4 + 8]);
  });

  test('OneHot with float32 output holds real float values', async () => {
    const o = await evaluate(() => ({
      f: tf.oneHot(tf.tensor1d([0, 2, 1, 5, -1], 'int32'), 3, 1, 0, 'float32'),
      i: tf.oneHot(tf.tensor2d([[1], [0]], [2, 1], 'int32'), 2, 5, -2),
    }));
    expect(o.f.dtype).toBe('float32');
    expect(Array.from(o.f.values)).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(o.i.dtype).toBe('int32');
    expect(o.i.shape).toEqual([2, 1, 2]);
    expect(Array.from(o.i.values)).toEqual([-2, 5, 5, -2]);
  });
});
