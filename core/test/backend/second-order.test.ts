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
