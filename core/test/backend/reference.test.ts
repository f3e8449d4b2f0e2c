/**
 * The float64 reference checked against itself: its gradients agree with
 * central finite differences of its forward functions (no tfjs involved).
 */
import {
  avgPool,
  avgPoolGrad,
  batchNorm,
  batchNormGrad,
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  ConvParams,
  depthwiseConv2d,
  depthwiseConv2dBackpropFilter,
  depthwiseConv2dBackpropInput,
  geometry,
  maxPool,
  maxPoolGrad,
  PoolParams,
  seeded,
  Shape4,
  size,
  unsortedSegmentSum,
} from './reference';

/** d/dv of sum(f(v) * r), by central differences. */
function numericGrad(v: Float64Array, f: (v: Float64Array) => Float64Array, r: Float64Array, h = 1e-5): Float64Array {
  const g = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const keep = v[i];
    v[i] = keep + h;
    const up = f(v).reduce((s, y, k) => s + y * r[k], 0);
    v[i] = keep - h;
    const down = f(v).reduce((s, y, k) => s + y * r[k], 0);
    v[i] = keep;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const convCases: [string, Shape4, Shape4, ConvParams][] = [
  ['stride 1 same', [2, 5, 4, 2], [3, 3, 2, 3], { stride: [1, 1], dilation: [1, 1], pad: 'same' }],
  ['stride 2 same (asymmetric padding)', [1, 6, 7, 2], [3, 3, 2, 2], { stride: [2, 2], dilation: [1, 1], pad: 'same' }],
  ['dilation 2 explicit', [1, 7, 6, 2], [3, 2, 2, 2], { stride: [1, 1], dilation: [2, 2], pad: [[0, 0], [2, 1], [0, 3], [0, 0]] }],
  ['stride 2 valid k5', [2, 8, 8, 1], [5, 5, 1, 2], { stride: [2, 2], dilation: [1, 1], pad: 'valid' }],
];

describe('float64 reference vs finite differences', () => {
  test.each(convCases)('conv2d %s', (_n, xs, ws, p) => {
    const x = seeded(size(xs), 1);
    const w = seeded(size(ws), 2);
    const y = conv2d(x, xs, w, ws, p);
    const r = seeded(y.data.length, 3);
    const dx = conv2dBackpropInput(r, xs, w, ws, p).data;
    const dw = conv2dBackpropFilter(x, xs, r, ws, p).data;
    expect(maxDiff(dx, numericGrad(x, (v) => conv2d(v, xs, w, ws, p).data, r))).toBeLessThan(1e-7);
    expect(maxDiff(dw, numericGrad(w, (v) => conv2d(x, xs, v, ws, p).data, r))).toBeLessThan(1e-7);
  });

  test.each(convCases)('depthwise (multiplier 2) %s', (_n, xs, ws0, p) => {
    const ws: Shape4 = [ws0[0], ws0[1], xs[3], 2];
    const x = seeded(size(xs), 4);
    const w = seeded(size(ws), 5);
    const y = depthwiseConv2d(x, xs, w, ws, p);
    expect(y.shape[3]).toBe(xs[3] * 2);
    const r = seeded(y.data.length, 6);
    const dx = depthwiseConv2dBackpropInput(r, xs, w, ws, p).data;
    const dw = depthwiseConv2dBackpropFilter(x, xs, r, ws, p).data;
    expect(maxDiff(dx, numericGrad(x, (v) => depthwiseConv2d(v, xs, w, ws, p).data, r))).toBeLessThan(1e-7);
    expect(maxDiff(dw, numericGrad(w, (v) => depthwiseConv2d(x, xs, v, ws, p).data, r))).toBeLessThan(1e-7);
  });

  test('a 1x1 identity filter reproduces its input', () => {
    const xs: Shape4 = [1, 3, 3, 2];
    const x = seeded(18, 7);
    const y = conv2d(x, xs, Float64Array.from([1, 0, 0, 1]), [1, 1, 2, 2], { stride: [1, 1], dilation: [1, 1], pad: 'valid' });
    expect(Array.from(y.data)).toEqual(Array.from(x));
  });

  test('padding and output sizes follow TensorFlow', () => {
    expect(geometry(8, 8, 3, 3, [2, 2], [1, 1], 'same')).toEqual({ outH: 4, outW: 4, top: 0, bottom: 1, left: 0, right: 1 });
    expect(geometry(7, 7, 3, 3, [1, 1], [2, 2], 'same')).toEqual({ outH: 7, outW: 7, top: 2, bottom: 2, left: 2, right: 2 });
    expect(geometry(11, 10, 5, 5, [2, 2], [1, 1], 'valid')).toMatchObject({ outH: 4, outW: 3 });
  });

  test.each([
    ['3x3 stride 2 same', { filter: [3, 3], stride: [2, 2], pad: 'same' }],
    ['3x3 stride 1 padding 1', { filter: [3, 3], stride: [1, 1], pad: 1 }],
  ] as [string, PoolParams][])('pooling %s', (_n, p) => {
    const xs: Shape4 = [1, 5, 6, 2];
    const x = seeded(size(xs), 8); // distinct values: the max is differentiable
    const r = seeded(maxPool(x, xs, p).data.length, 9);
    expect(maxDiff(maxPoolGrad(x, xs, r, p).data, numericGrad(x, (v) => maxPool(v, xs, p).data, r))).toBeLessThan(1e-7);
    expect(maxDiff(avgPoolGrad(xs, r, p).data, numericGrad(x, (v) => avgPool(v, xs, p).data, r))).toBeLessThan(1e-7);
  });

  test('unsorted segment sum', () => {
    const out = unsortedSegmentSum(Float64Array.from([1, 2, 3, 4, 5, 6]), [3, 2], [1, 1, 5], [3], 2);
    expect(out.shape).toEqual([2, 2]);
    expect(Array.from(out.data)).toEqual([0, 0, 4, 6]);
  });

  test('batch norm (x, gamma, beta)', () => {
    const xs: Shape4 = [2, 3, 2, 3];
    const x = seeded(size(xs), 41, -2, 3);
    const gamma = seeded(3, 42, 0.5, 1.5);
    const beta = seeded(3, 43);
    const eps = 1e-3;
    const r = seeded(x.length, 44);
    const g = batchNormGrad(x, xs, r, eps, gamma);
    expect(maxDiff(g.dx, numericGrad(x, (v) => batchNorm(v, xs, eps, gamma, beta).y, r))).toBeLessThan(1e-7);
    expect(maxDiff(g.dgamma, numericGrad(gamma, (v) => batchNorm(x, xs, eps, v, beta).y, r))).toBeLessThan(1e-7);
    expect(maxDiff(g.dbeta, numericGrad(beta, (v) => batchNorm(x, xs, eps, gamma, v).y, r))).toBeLessThan(1e-7);
  });
});
