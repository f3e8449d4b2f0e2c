/**
 * On the cpu backend: the dilated-convolution gradients (composition of
 * public ops, since the cpu backprop kernels ignore dilations) and the
 * AvgPoolGrad fix, against the float64 reference. Tolerance: max abs error
 * <= 1e-4 * max(1, max |ref|).
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend';
import { counts, expectClose, explicitPad, Pad, padName, randomPair } from './helpers';
import {
  avgPoolGrad,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  ConvParams,
  depthwiseConv2dBackpropFilter,
  depthwiseConv2dBackpropInput,
  maxPool,
  maxPoolGrad,
  PoolParams,
  Shape4,
} from './reference';

beforeAll(async () => {
  await selectBackend('cpu');
});

const dilatedCases: [Pad, number][] = [
  ['same', 3],
  ['valid', 3],
  [explicitPad(2), 3],
  [explicitPad(4), 5],
  [explicitPad(2), 1], // padding beyond the filter's reach: the input gradient crops dy
  [explicitPad(5), 3],
];

describe('cpu backend', () => {
  test('is selected', () => {
    expect(tf.getBackend()).toBe('cpu');
  });

  test.each(dilatedCases.map(([pad, k]) => [`dilation 2, pad ${padName(pad)}, k ${k}`, pad, k] as const))(
    'conv2d and depthwise gradients, %s',
    (_name, pad, k) => {
      const xShape: Shape4 = [2, 9, 8, 3];
      const p: ConvParams = { stride: [1, 1], dilation: [2, 2], pad };
      const before = counts();
      tf.tidy(() => {
        const x = randomPair(xShape, 3 + k);
        for (const [depthwise, last] of [
          [false, 4],
          [true, 1],
          [true, 2],
        ] as const) {
          const wShape: Shape4 = [k, k, 3, last];
          const w = randomPair(wShape, 4 + k + last);
          const f = (a: tf.Tensor, b: tf.Tensor): tf.Tensor4D =>
            depthwise
              ? tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad, 'NHWC', 2)
              : tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad, 'NHWC', 2);
          const r = randomPair(f(x.t, w.t).shape, 5 + k);
          const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), r.t)))([x.t, w.t]);
          const refDx = depthwise ? depthwiseConv2dBackpropInput : conv2dBackpropInput;
          const refDw = depthwise ? depthwiseConv2dBackpropFilter : conv2dBackpropFilter;
          const label = depthwise ? `depthwise m${last}` : 'conv2d';
          expectClose(`${label} dx`, dx.dataSync(), refDx(r.v, xShape, w.v, wShape, p).data);
          expectClose(`${label} dw`, dw.dataSync(), refDw(x.v, xShape, r.v, wShape, p).data);
        }
      });
      expect(counts()).toEqual(before);
    },
  );

  test.each([
    ['3x3 stride 1 same', { filter: [3, 3], stride: [1, 1], pad: 'same' }],
    ['3x3 stride 2 padding 1', { filter: [3, 3], stride: [2, 2], pad: 1 }],
    ['2x2 stride 2 valid', { filter: [2, 2], stride: [2, 2], pad: 'valid' }],
  ] as [string, PoolParams][])('avg and max pool gradients, %s', (_name, p) => {
    const xShape: Shape4 = [2, 7, 6, 3];
    tf.tidy(() => {
      const x = randomPair(xShape, 90);
      const y = maxPool(x.v, xShape, p);
      const r = randomPair(y.shape, 91);
      const pad = p.pad as Pad;
      const gAvg = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(a as tf.Tensor4D, p.filter, p.stride, pad), r.t)))(x.t);
      expectClose('avg dx', gAvg.dataSync(), avgPoolGrad(xShape, r.v, p).data);
      const gMax = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, p.filter, p.stride, pad), r.t)))(x.t);
      expectClose('max dx', gMax.dataSync(), maxPoolGrad(x.v, xShape, r.v, p).data);
    });
  });
});
