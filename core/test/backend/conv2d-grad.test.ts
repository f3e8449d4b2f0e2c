/**
 * Conv2D forward and both gradients through tfjs's public gradient API on
 * the backend under test (on wasm: the fill-ins Conv2DBackpropInput /
 * Conv2DBackpropFilter, and the dilated gradient), against the float64
 * reference. Tolerance: max abs error <= 1e-4 * max(1, max |ref|).
 */
import * as tf from '@tensorflow/tfjs';
import { WASM_FILL_IN_KERNELS } from '../../src/backend';
import { FILL_IN_MARK } from '../../src/backend/kernels/common';
import { evaluate, expectClose, expectConv2dMatchesReference, explicitPad, Pad, padName, randomPair, wasmTest, describeKernelSets } from './helpers';
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput, ConvParams, Shape4 } from './reference';

interface Case {
  stride: number;
  pad: Pad;
  k: number;
  dilation: number;
}

const cases: Case[] = [];
for (const stride of [1, 2])
  for (const pad of ['same', 'valid', explicitPad(1), explicitPad(2)] as Pad[])
    for (const k of [1, 3, 5])
      for (const dilation of stride === 1 ? [1, 2] : [1]) cases.push({ stride, pad, k, dilation });
// numeric padding and an extra odd geometry
cases.push({ stride: 2, pad: 1, k: 3, dilation: 1 }, { stride: 1, pad: 2, k: 5, dilation: 1 });

const xShape: Shape4 = [2, 11, 10, 3];
const outChannels = 5;

describeKernelSets('Conv2D gradients (public API) vs float64 reference', () => {
  wasmTest('backend is wasm with the fill-ins registered', () => {
    expect(tf.getBackend()).toBe('wasm');
    for (const name of WASM_FILL_IN_KERNELS) {
      expect((tf.getKernel(name, 'wasm') as unknown as Record<symbol, unknown>)[FILL_IN_MARK]).toBe(true);
    }
  });

  test.each(cases.map((c) => [`stride ${c.stride}, pad ${padName(c.pad)}, k ${c.k}, dilation ${c.dilation}`, c] as const))(
    '%s',
    async (_name, c) => {
      const seed = c.stride * 1000 + c.k * 100 + c.dilation * 10 + (typeof c.pad === 'string' ? c.pad.length : 7);
      await expectConv2dMatchesReference(xShape, [c.k, c.k, xShape[3], outChannels], c.stride, c.pad, c.dilation, seed);
    },
  );

  test('non-square input, asymmetric strides, 1 input channel', async () => {
    const shape: Shape4 = [3, 9, 14, 1];
    const wShape: Shape4 = [3, 2, 1, 4];
    const p: ConvParams = { stride: [2, 1], dilation: [1, 1], pad: 'same' };
    const o = await evaluate(() => {
      const x = randomPair(shape, 5);
      const w = randomPair(wShape, 6);
      const ref = conv2d(x.v, shape, w.v, wShape, p);
      const r = randomPair(ref.shape, 7);
      const f = (a: tf.Tensor, b: tf.Tensor): tf.Tensor4D => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, [2, 1], 'same');
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), r.t)))([x.t, w.t]);
      return { dx, dw, xv: x.v, wv: w.v, rv: r.v };
    });
    expectClose('dx', o.dx.values, conv2dBackpropInput(o.rv, shape, o.wv, wShape, p).data);
    expectClose('dw', o.dw.values, conv2dBackpropFilter(o.xv, shape, o.rv, wShape, p).data);
  });

  wasmTest('kernels called directly: stride 2 together with dilation 2, explicit asymmetric padding', () => {
    const shape: Shape4 = [2, 12, 11, 4];
    const wShape: Shape4 = [3, 3, 4, 3];
    const pad: tf.backend_util.ExplicitPadding = [[0, 0], [1, 3], [2, 0], [0, 0]];
    const p: ConvParams = { stride: [2, 2], dilation: [2, 2], pad };
    tf.tidy(() => {
      const x = randomPair(shape, 8);
      const w = randomPair(wShape, 9);
      const ref = conv2d(x.v, shape, w.v, wShape, p);
      const dy = randomPair(ref.shape, 10);
      const attrs = { strides: [2, 2], pad, dataFormat: 'NHWC', dilations: [2, 2] };
      const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy: dy.t, filter: w.t }, { ...attrs, inputShape: shape }) as tf.Tensor;
      const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x: x.t, dy: dy.t }, { ...attrs, filterShape: wShape }) as tf.Tensor;
      expectClose('dx', dx.dataSync(), conv2dBackpropInput(dy.v, shape, w.v, wShape, p).data);
      expectClose('dw', dw.dataSync(), conv2dBackpropFilter(x.v, shape, dy.v, wShape, p).data);
    });
  });

  wasmTest('NCHW is rejected with a clear error', () => {
    tf.tidy(() => {
      const x = tf.zeros([1, 2, 5, 5]);
      const dy = tf.zeros([1, 3, 5, 5]);
      const w = tf.zeros([3, 3, 2, 3]);
      const attrs = { strides: 1, pad: 'same', dataFormat: 'NCHW' };
      expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: [3, 3, 2, 3] })).toThrow(/NHWC/);
      expect(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: [1, 2, 5, 5] })).toThrow(
        /NHWC/,
      );
    });
  });
});
