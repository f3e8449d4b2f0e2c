/**
 * DepthwiseConv2dNative forward and both gradients through tfjs's public
 * gradient API on the backend under test (on wasm: the fill-ins DepthwiseConv2dNativeBackpropInput /
 * ...BackpropFilter, and the dilated gradient), against the float64
 * reference. Tolerance: max abs error <= 1e-4 * max(1, max |ref|).
 */
import * as tf from '@tensorflow/tfjs';
import { describeKernelSets, expectClose, expectConvMatchesReference, explicitPad, Pad, padName, randomPair, wasmTest } from './helpers';
import {
  ConvParams,
  depthwiseConv2d,
  depthwiseConv2dBackpropFilter,
  depthwiseConv2dBackpropInput,
  Shape4,
} from './reference';

interface Case {
  stride: number;
  pad: Pad;
  k: number;
  dilation: number;
  multiplier: number;
}

const cases: Case[] = [];
for (const stride of [1, 2])
  for (const pad of ['same', 'valid', explicitPad(1), explicitPad(2)] as Pad[])
    for (const k of [1, 3, 5])
      for (const dilation of stride === 1 ? [1, 2] : [1]) cases.push({ stride, pad, k, dilation, multiplier: 1 });
// channel multiplier 2 on a few geometries
cases.push(
  { stride: 1, pad: 'same', k: 3, dilation: 1, multiplier: 2 },
  { stride: 2, pad: explicitPad(1), k: 3, dilation: 1, multiplier: 2 },
  { stride: 1, pad: explicitPad(4), k: 5, dilation: 2, multiplier: 2 },
  { stride: 2, pad: 'valid', k: 5, dilation: 1, multiplier: 3 },
);

const xShape: Shape4 = [2, 11, 10, 6];

describeKernelSets('depthwise conv gradients (public API) vs float64 reference', () => {
  test.each(
    cases.map(
      (c) => [`stride ${c.stride}, pad ${padName(c.pad)}, k ${c.k}, dilation ${c.dilation}, multiplier ${c.multiplier}`, c] as const,
    ),
  )('%s', async (_name, c) => {
    const seed = 7 + c.stride * 1000 + c.k * 100 + c.dilation * 10 + c.multiplier;
    await expectConvMatchesReference('depthwise', xShape, [c.k, c.k, xShape[3], c.multiplier], c.stride, c.pad, c.dilation, seed);
  });

  wasmTest('kernels called directly: stride 2 with dilation 2, asymmetric explicit padding, multiplier 2', () => {
    const shape: Shape4 = [2, 13, 12, 3];
    const wShape: Shape4 = [3, 3, 3, 2];
    const pad: tf.backend_util.ExplicitPadding = [[0, 0], [2, 1], [0, 3], [0, 0]];
    const p: ConvParams = { stride: [2, 2], dilation: [2, 2], pad };
    tf.tidy(() => {
      const x = randomPair(shape, 21);
      const w = randomPair(wShape, 22);
      const ref = depthwiseConv2d(x.v, shape, w.v, wShape, p);
      const dy = randomPair(ref.shape, 23);
      const attrs = { strides: [2, 2], pad, dilations: [2, 2] };
      const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dy.t, filter: w.t }, { ...attrs, inputShape: shape }) as tf.Tensor;
      const dw = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: x.t, dy: dy.t }, { ...attrs, filterShape: wShape }) as tf.Tensor;
      expectClose('dx', dx.dataSync(), depthwiseConv2dBackpropInput(dy.v, shape, w.v, wShape, p).data);
      expectClose('dw', dw.dataSync(), depthwiseConv2dBackpropFilter(x.v, shape, dy.v, wShape, p).data);
    });
  });

  test('dilation 2 with stride 2 is refused with a clear error (as tfjs refuses it)', () => {
    tf.tidy(() => {
      const x = tf.ones([1, 9, 9, 2]);
      const w = tf.ones([3, 3, 2, 1]);
      expect(() => tf.grad((a: tf.Tensor) => tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, w as tf.Tensor4D, 2, 'same', 'NHWC', 2)))(x)).toThrow(
        /strides/,
      );
    });
  });
});
