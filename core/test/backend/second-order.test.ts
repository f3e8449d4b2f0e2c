/**
 * Gradients of gradients (backend/second-order-gradients.ts, the producer
 * order of backend/gradients.ts, and the composite batch norm and
 * log-softmax of a nested gradient): the Hessian-vector product H v of small
 * functions by double backpropagation (tf.grad of v . tf.grad f) against the
 * central difference of the first-order gradient, (grad f(w + e v) -
 * grad f(w - e v)) / 2e. The functions are smooth (ReLU enters cubed), so the
 * difference converges: its error at e = 3e-3 is O(e^2) plus float32
 * rounding, measured at most 1.1e-4 relative (Euclidean norm) on these cases
 * (wasm with the native kernels; 7.4e-5 on the cpu backend). Values are read
 * with `await data()`, so the suite also runs in the webgpu pass of CI.
 * Without them every case fails: tfjs has no gradient for the convolutions'
 * backprop kernels, and its outer pass misses saved outputs (exp and
 * log-softmax were off by more than 100%).
 *
 * Max pooling and ReLU6 are piecewise linear, and their gradients jump where
 * a window's maximum changes hands or a ReLU6 input crosses 0 or 6: over the
 * 720 windows of these cases some pair of values lies closer than the
 * difference's step moves them, and the plain difference was off by more
 * than 90%. Their reference is the central difference of the same function
 * with each max pool and ReLU6 frozen at w (each window's maximum, found by a
 * loop here, taken by a fixed 0/1 matrix product; ReLU6's pieces fixed):
 * smooth, and equal to the function near w wherever no window has a tie and
 * no ReLU6 input is 0 or 6, which holds for these random inputs. Without
 * the gradients of MaxPoolGrad and of ReLU6's gradient these cases fail
 * (tfjs has neither).
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTrain } from '../../src/backend';
import { crossEntropy } from '../../src/train/loss';

const TOLERANCE = 5e-4;
const STEP = 3e-3;

/** The values of a tensor the caller no longer needs, read asynchronously (webgpu has no synchronous read in Node). */
async function take(t: tf.Tensor): Promise<Float32Array> {
  const values = (await t.data()) as Float32Array;
  t.dispose();
  return values;
}

function hessianVector(f: (w: tf.Tensor) => tf.Scalar, w: tf.Tensor, v: tf.Tensor): Promise<Float32Array> {
  return take(tf.tidy(() => tf.grad((u) => tf.sum(tf.mul(tf.grad(f)(u), v)) as tf.Scalar)(w)));
}

function centralDifference(f: (w: tf.Tensor) => tf.Scalar, w: tf.Tensor, v: tf.Tensor): Promise<Float32Array> {
  return take(tf.tidy(() => {
    const plus = tf.grad(f)(tf.add(w, tf.mul(v, STEP)));
    const minus = tf.grad(f)(tf.sub(w, tf.mul(v, STEP)));
    return tf.div(tf.sub(plus, minus), 2 * STEP);
  }));
}

/** The piecewise-linear ops of a case: tf's, or frozen at some point. */
interface Pieces {
  maxPool(z: tf.Tensor4D, size: number, stride: number, pad: 'same' | 'valid'): tf.Tensor4D;
  relu6(z: tf.Tensor): tf.Tensor;
}

const LIVE: Pieces = { maxPool: (z, size, stride, pad) => tf.maxPool(z, size, stride, pad), relu6: (z) => tf.relu6(z) };

/**
 * For each window of max pooling `values` (NHWC `shape`), the flat index of
 * its first maximum among the real cells in row-major order: a loop of its
 * own, the tie rule of the kernels.
 */
function windowMaxima(values: Float32Array, shape: number[], size: number, stride: number, pad: 'same' | 'valid'): { indices: Int32Array; outShape: number[] } {
  const [n, h, w, c] = shape;
  const info = tf.backend_util.computePool2DInfo(shape as [number, number, number, number], [size, size], [stride, stride], 1, pad);
  const { outHeight: ho, outWidth: wo } = info;
  const { top, left } = info.padInfo;
  const indices = new Int32Array(n * ho * wo * c);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < ho; y++) {
      for (let x = 0; x < wo; x++) {
        for (let ch = 0; ch < c; ch++) {
          let best = -1;
          for (let i = 0; i < size; i++) {
            for (let j = 0; j < size; j++) {
              const r = y * stride - top + i;
              const col = x * stride - left + j;
              if (r < 0 || r >= h || col < 0 || col >= w) continue;
              const at = ((b * h + r) * w + col) * c + ch;
              if (best < 0 || values[at] > values[best]) best = at;
            }
          }
          indices[((b * ho + y) * wo + x) * c + ch] = best;
        }
      }
    }
  }
  return { indices, outShape: [n, ho, wo, c] };
}

/**
 * The ops of `f` frozen at w: each max pool a fixed selection of the
 * elements that are its windows' maxima at w (a product with a 0/1 matrix),
 * each ReLU6 the piece of its input at w (z, 0 or 6). Called in the order
 * `f` calls them.
 */
async function frozenAt(f: (w: tf.Tensor, ops: Pieces) => tf.Scalar, w: tf.Tensor): Promise<Pieces> {
  const seen: { op: 'maxPool' | 'relu6'; z: tf.Tensor; size: number; stride: number; pad: 'same' | 'valid' }[] = [];
  const record: Pieces = {
    maxPool: (z, size, stride, pad) => {
      seen.push({ op: 'maxPool', z: tf.keep(tf.clone(z)), size, stride, pad });
      return tf.maxPool(z, size, stride, pad);
    },
    relu6: (z) => {
      seen.push({ op: 'relu6', z: tf.keep(tf.clone(z)), size: 0, stride: 0, pad: 'valid' });
      return tf.relu6(z);
    },
  };
  tf.tidy(() => f(w, record)).dispose();
  const pieces: ((z: tf.Tensor) => tf.Tensor)[] = [];
  for (const { op, z, size, stride, pad } of seen) {
    const values = await take(z);
    if (op === 'maxPool') {
      const { indices, outShape } = windowMaxima(values, z.shape, size, stride, pad);
      const select = new Float32Array(values.length * indices.length);
      indices.forEach((at, o) => (select[at * indices.length + o] = 1));
      const matrix = tf.keep(tf.tensor2d(select, [values.length, indices.length]));
      pieces.push((t) => tf.reshape(tf.matMul(tf.reshape(t, [1, -1]), matrix), outShape));
    } else {
      const inside = tf.keep(tf.tensor(Float32Array.from(values, (v) => (v > 0 && v < 6 ? 1 : 0)), z.shape));
      const above = tf.keep(tf.tensor(Float32Array.from(values, (v) => (v >= 6 ? 6 : 0)), z.shape));
      pieces.push((t) => tf.add(tf.mul(t, inside), above));
    }
  }
  let next = 0;
  const piece = (t: tf.Tensor) => pieces[next++ % pieces.length](t);
  return { maxPool: (z) => piece(z) as tf.Tensor4D, relu6: piece };
}

function relativeError(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

describe('gradients of gradients', () => {
  let x: tf.Tensor4D;
  let labels: tf.Tensor2D;
  beforeAll(() => {
    x = tf.randomNormal([4, 6, 6, 3], 0, 1, 'float32', 3);
    labels = tf.oneHot(tf.tensor1d([1, 0, 4, 2], 'int32'), 5).toFloat() as tf.Tensor2D;
  });
  afterAll(() => tf.dispose([x, labels]));
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [1, 1], [1, 1], [0, 0]];
  const conv = (w: tf.Tensor, stride = 1, dilation = 1) => tf.conv2d(x, w as tf.Tensor4D, stride, dilation > 1 ? 'same' : pad, 'NHWC', dilation);
  /** sum of r * t with a fixed random r of t's shape: no symmetry that would hide a wrong term */
  const weighted = (t: tf.Tensor, seed = 4) => tf.sum(tf.mul(t, tf.randomNormal(t.shape, 0, 1, 'float32', seed))) as tf.Scalar;
  const cube = (t: tf.Tensor) => tf.mul(tf.square(t), t);

  const cases: [string, (w: tf.Tensor) => tf.Scalar][] = [
    ['conv2d (Conv2DBackpropFilter, Conv2DBackpropInput)', (w) => weighted(cube(conv(w)))],
    ['conv2d, stride 2', (w) => weighted(cube(conv(w, 2)))],
    ['conv2d, dilation 2', (w) => weighted(cube(conv(w, 1, 2)))],
    ['conv2d of conv2d, the second filter a slice of w', (w) => {
      const second = tf.pad(tf.slice(w, [0, 0, 0, 0], [3, 3, 3, 3]), [[0, 0], [0, 0], [0, 2], [0, 2]]) as tf.Tensor4D;
      return weighted(tf.square(tf.conv2d(cube(conv(w)) as tf.Tensor4D, second, 1, 'same')));
    }],
    ['depthwiseConv2d (its two backprop kernels)', (w) => weighted(cube(tf.depthwiseConv2d(x, tf.slice(w, [0, 0, 0, 0], [3, 3, 3, 1]) as tf.Tensor4D, 1, pad)))],
    ['depthwiseConv2d, dilation 2, of a depthwise conv', (w) => {
      const f = tf.slice(w, [0, 0, 0, 0], [3, 3, 3, 2]) as tf.Tensor4D;
      const first = tf.depthwiseConv2d(x, f, 1, 'same');
      return weighted(cube(tf.depthwiseConv2d(first, tf.reshape(tf.slice(w, [0, 0, 0, 2], [3, 3, 3, 2]), [3, 3, 6, 1]) as tf.Tensor4D, 1, 'same', 'NHWC', 2)));
    }],
    ['relu (the ReLU gradient kernel)', (w) => weighted(cube(tf.relu(conv(w))))],
    ['avgPool 3x3 same, 2x2 valid stride 2 (AvgPoolGrad)', (w) => tf.add(weighted(cube(tf.avgPool(conv(w), 3, 1, 'same'))), weighted(cube(tf.avgPool(conv(w), 2, 2, 'valid')), 5)) as tf.Scalar],
    ['addN', (w) => weighted(cube(tf.addN([conv(w), tf.mul(conv(w), 2)])))],
    ['exp (a saved output)', (w) => weighted(tf.exp(tf.mul(conv(w), 0.1)))],
    ['batch norm with batch statistics', (w) => weighted(tf.square(batchNormTrain(conv(w), undefined, undefined, 1e-5).y))],
    ['batch norm of large activations (x 1e9: var^-2.5 would leave float32)', (w) =>
      weighted(tf.square(batchNormTrain(tf.mul(conv(w), 1e9) as tf.Tensor4D, undefined, undefined, 1e-5).y))],
    ['affine batch norm', (w) => {
      const c = 5;
      const bn = batchNormTrain(conv(w), tf.linspace(0.5, 1.5, c) as tf.Tensor1D, tf.linspace(-0.2, 0.2, c) as tf.Tensor1D, 1e-5);
      return weighted(tf.square(bn.y));
    }],
    ['cross-entropy of pooled logits', (w) => crossEntropy(tf.mean(conv(w), [1, 2]) as tf.Tensor2D, labels)],
  ];

  /** 3 conv(w) spreads over [-21, 25]: 344 of its 720 values are below 0, 142 above 6, none within 1e-3 of either */
  const piecewise: [string, (w: tf.Tensor, ops: Pieces) => tf.Scalar][] = [
    ['maxPool 3x3 same, stride 1 (MaxPoolGrad)', (w, ops) => weighted(cube(ops.maxPool(conv(w), 3, 1, 'same')))],
    ['maxPool 2x2 valid and 3x3 same, stride 2', (w, ops) =>
      tf.add(weighted(cube(ops.maxPool(conv(w), 2, 2, 'valid'))), weighted(cube(ops.maxPool(conv(w), 3, 2, 'same')), 5)) as tf.Scalar],
    ['maxPool of a maxPool', (w, ops) => weighted(cube(ops.maxPool(ops.maxPool(conv(w), 3, 1, 'same'), 3, 2, 'same')))],
    ['relu6 (below 0, between, above 6)', (w, ops) => weighted(cube(ops.relu6(tf.mul(conv(w), 3))))],
    ['maxPool of relu6, then conv2d', (w, ops) => {
      const pooled = ops.maxPool(ops.relu6(tf.mul(conv(w), 3)) as tf.Tensor4D, 3, 1, 'same');
      return weighted(tf.square(tf.conv2d(pooled, tf.reshape(w, [3, 3, 5, 3]) as tf.Tensor4D, 1, 'same')));
    }],
  ];

  it.each(piecewise)('%s: H v matches the central difference of the gradient with the pieces frozen at w', async (_name, f) => {
    const w = tf.randomNormal([3, 3, 3, 5], 0, 0.5, 'float32', 1);
    const v = tf.randomNormal([3, 3, 3, 5], 0, 1, 'float32', 2);
    const tensors = tf.memory().numTensors;
    const exact = await hessianVector((u) => f(u, LIVE), w, v);
    expect(tf.memory().numTensors).toBe(tensors);
    const frozen = await frozenAt(f, w);
    const difference = await centralDifference((u) => f(u, frozen), w, v);
    expect(relativeError(exact, difference)).toBeLessThan(TOLERANCE);
    tf.dispose([w, v]);
  });

  it.each(cases)('%s: H v matches the central difference of the gradient', async (_name, f) => {
    const w = tf.randomNormal([3, 3, 3, 5], 0, 0.5, 'float32', 1);
    const v = tf.randomNormal([3, 3, 3, 5], 0, 1, 'float32', 2);
    const tensors = tf.memory().numTensors;
    const exact = await hessianVector(f, w, v);
    expect(tf.memory().numTensors).toBe(tensors);
    const difference = await centralDifference(f, w, v);
    expect(relativeError(exact, difference)).toBeLessThan(TOLERANCE);
    tf.dispose([w, v]);
  });
});
