/**
 * The fill-ins release every intermediate (engine tensors and wasm data
 * buffers), and registration is idempotent.
 */
import * as tf from '@tensorflow/tfjs';
import {
  registerCpuFixes,
  selectBackend,
  registerDilatedConvGradients,
  registerWasmFillIns,
  WASM_FILL_IN_KERNELS,
  wasmFillInsRegistered,
} from '../../src/backend';
import { counts, explicitPad } from './helpers';

// the wasm fill-ins, whatever backend the rest of the suite runs on
beforeAll(async () => {
  await selectBackend('wasm');
});

describe('no leaks', () => {
  test('every fill-in, called through the engine, leaves tensor and buffer counts unchanged', () => {
    const x = tf.randomNormal([2, 9, 8, 4]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 4, 6]) as tf.Tensor4D;
    const dw = tf.randomNormal([3, 3, 4, 2]) as tf.Tensor4D;
    const before = counts();
    const calls: [string, () => tf.Tensor][] = [];
    for (const [stride, pad] of [
      [1, 'same'],
      [2, 'same'],
      [2, explicitPad(2)],
      [1, explicitPad(2)],
    ] as const) {
      const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad);
      const dconv = (a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad);
      calls.push([`conv ${stride}`, () => tf.addN(tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(conv(a, b)))([x, w]).map((g) => tf.sum(g)))]);
      calls.push([`depthwise ${stride}`, () => tf.addN(tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(dconv(a, b)))([x, dw]).map((g) => tf.sum(g)))]);
    }
    calls.push(['dilated conv', () => tf.addN(tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same', 'NHWC', 2)))([x, w]).map((g) => tf.sum(g)))]);
    calls.push(['dilated depthwise', () => tf.addN(tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same', 'NHWC', 2)))([x, dw]).map((g) => tf.sum(g)))]);
    calls.push(['max pool', () => tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 3, 2, 'same')))(x)]);
    calls.push(['avg pool', () => tf.grad((a: tf.Tensor) => tf.sum(tf.avgPool(a as tf.Tensor4D, 3, 1, 'same')))(x)]);
    calls.push(['gather', () => tf.grad((a: tf.Tensor) => tf.sum(tf.gather(a, tf.tensor1d([1, 0, 1], 'int32'))))(x)]);
    calls.push(['one hot', () => tf.oneHot(tf.tensor1d([1, 0, 3], 'int32'), 4, 1, 0, 'float32')]);
    for (const [name, run] of calls) {
      // tidy releases the engine tensors; the backend's buffer count also sees a kernel's own scratch
      const out = tf.tidy(run);
      out.dataSync();
      out.dispose();
      const now = counts();
      if (now.tensors !== before.tensors || now.dataIds !== before.dataIds) {
        throw new Error(`${name}: counts ${JSON.stringify(now)} vs ${JSON.stringify(before)}`);
      }
    }
    // the kernels alone, outside any tidy: the result is the only new buffer
    const dy = tf.randomNormal([2, 5, 4, 6]);
    const start = counts();
    const k = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 4, 6] }) as tf.Tensor;
    const i = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: x.shape }) as tf.Tensor;
    expect(counts()).toEqual({ tensors: start.tensors + 2, dataIds: start.dataIds + 2 });
    tf.dispose([k, i, dy, x, w, dw]);
  });

  test('repeated training-like steps keep memory flat', () => {
    const x = tf.randomNormal([4, 8, 8, 3]) as tf.Tensor4D;
    const w = tf.variable(tf.randomNormal([3, 3, 3, 5]));
    const d = tf.variable(tf.randomNormal([3, 3, 5, 1]));
    const opt = tf.train.sgd(0.01);
    const step = () =>
      opt.minimize(() => {
        const h = tf.relu(tf.conv2d(x, w as unknown as tf.Tensor4D, 2, 'same'));
        const p = tf.maxPool(tf.depthwiseConv2d(h, d as unknown as tf.Tensor4D, 1, 'same', 'NHWC', 2), 3, 1, 'same');
        return tf.mean(tf.square(p)) as tf.Scalar;
      });
    step();
    const before = counts();
    for (let s = 0; s < 5; s++) step();
    expect(counts()).toEqual(before);
    tf.dispose([x, w, d]);
  });
});

describe('registration', () => {
  test('registerWasmFillIns is idempotent and silent the second time', () => {
    expect(wasmFillInsRegistered()).toBe(true);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect(registerWasmFillIns()).toEqual([]);
      expect(registerCpuFixes()).toEqual([]);
      const before = tf.getGradient('Conv2D');
      registerDilatedConvGradients();
      expect(tf.getGradient('Conv2D')).toBe(before);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  test('a replaced kernel is put back', () => {
    const ours = tf.getKernel('MaxPoolGrad', 'wasm');
    tf.unregisterKernel('MaxPoolGrad', 'wasm');
    // an unmarked copy, as if someone else had registered one
    tf.registerKernel({ kernelName: ours.kernelName, backendName: ours.backendName, kernelFunc: ours.kernelFunc });
    expect(wasmFillInsRegistered()).toBe(false);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect(registerWasmFillIns()).toEqual(['MaxPoolGrad']);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
    expect(wasmFillInsRegistered()).toBe(true);
    expect(WASM_FILL_IN_KERNELS).toEqual(
      expect.arrayContaining([
        'Conv2DBackpropFilter',
        'Conv2DBackpropInput',
        'DepthwiseConv2dNativeBackpropInput',
        'DepthwiseConv2dNativeBackpropFilter',
        'MaxPoolGrad',
        'UnsortedSegmentSum',
      ]),
    );
  });
});
