/**
 * Pooling on the wasm backend through the native addon (core/native/pooling.cc),
 * on all cores, vectorised over channels:
 *
 * - MaxPool and AvgPool forward (the average over each window's real cells,
 *   as tfjs's kernels: padding is not counted);
 * - AvgPoolGrad: each cell gathers dy / (real cells) of the windows that hold
 *   it, one pass instead of the fill-in's scaled depthwise convolution;
 * - MaxPoolGrad: the loop of absnas's wasm fill-in (../kernels/max-pool-grad.ts),
 *   one image per thread, with the same result bit for bit (the first
 *   maximum of each window among the real cells takes the gradient).
 *
 * Each wraps the kernel registered before it and falls back to it when the
 * native kernels are off or the input is not float32 NHWC.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, KernelArgs, need, PadAttr, pair, RoundingMode, WasmKernelFunc, wrapWasmKernels } from '../kernels/common';
import { Addon, nativeAddon, nativeOutput } from './addon';

const WRAPPED = Symbol.for('absnas.nativePooling');

/** The kernels wrapped here, and which input is the pooled one. */
const KERNELS: Record<string, { input: string; run: (lib: Addon, dims: Int32Array, a: Float32Array, b: Float32Array, out: Float32Array) => void; arity: 2 | 3 }> = {
  MaxPool: { input: 'x', arity: 2, run: (lib, d, x, _b, y) => lib.maxPool(d, x, y) },
  AvgPool: { input: 'x', arity: 2, run: (lib, d, x, _b, y) => lib.avgPool(d, x, y) },
  AvgPoolGrad: { input: 'input', arity: 2, run: (lib, d, dy, _b, dx) => lib.avgPoolBackward(d, dy, dx) },
  MaxPoolGrad: { input: 'input', arity: 3, run: (lib, d, x, dy, dx) => lib.maxPoolBackward(d, x, dy, dx) },
};

function nativePool(name: string, inner: WasmKernelFunc): WasmKernelFunc {
  const k = KERNELS[name];
  return (args: KernelArgs) => {
    const lib = nativeAddon();
    if (lib == null) return inner(args);
    const { inputs, backend, attrs = {} } = args;
    const [input] = need(name, inputs, k.input);
    const dy = name.endsWith('Grad') ? need(name, inputs, 'dy')[0] : undefined;
    const df = attrs.dataFormat;
    if (input.shape.length !== 4 || input.dtype !== 'float32' || (dy != null && dy.dtype !== 'float32') || (df != null && df !== 'NHWC' && df !== 'channelsLast')) {
      return inner(args);
    }
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      pair(attrs.filterSize as number | [number, number]),
      pair(attrs.strides as number | [number, number]),
      1,
      attrs.pad as PadAttr,
      attrs.dimRoundingMode as RoundingMode,
    );
    if (info.batchSize === 0 || info.outHeight <= 0 || info.outWidth <= 0 || info.inChannels === 0) return inner(args);
    if (dy != null && !tf.util.arraysEqual(dy.shape, info.outShape)) return inner(args);
    const dims = Int32Array.of(
      info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
      info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
      info.effectiveFilterHeight, info.effectiveFilterWidth, info.padInfo.top, info.padInfo.left,
    );
    return nativeOutput(backend, dy != null ? input.shape : info.outShape, (out) => {
      const a = f32(backend, name === 'AvgPoolGrad' ? (dy as tf.TensorInfo) : input);
      const b = k.arity === 3 ? f32(backend, dy as tf.TensorInfo) : a;
      k.run(lib, dims, a, b, out);
    });
  };
}

/** Wraps the pooling kernels registered now for 'wasm' (after the fill-ins). Idempotent. */
export function registerNativePooling(): string[] {
  return wrapWasmKernels(Object.keys(KERNELS), WRAPPED, nativePool);
}
