/**
 * MaxPoolGrad on the wasm backend through the native addon: the loop of
 * absnas's wasm fill-in (../kernels/max-pool-grad.ts) on all cores, one image
 * per thread, with the same result bit for bit (the first maximum of each
 * window among the real cells takes the gradient). It wraps the kernel
 * registered before it and falls back to it when the native kernels are off
 * or the input is not float32 NHWC.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, KernelArgs, need, PadAttr, pair, RoundingMode, WasmKernelFunc, wrapWasmKernels } from '../kernels/common';
import { countNativeCall, nativeAddon } from './addon';

const NAME = 'MaxPoolGrad';
const WRAPPED = Symbol.for('absnas.nativePooling');

function nativeMaxPoolGrad(_name: string, inner: WasmKernelFunc): WasmKernelFunc {
  return (args: KernelArgs) => {
    const lib = nativeAddon();
    if (lib == null) return inner(args);
    const { inputs, backend, attrs = {} } = args;
    const [dy, input] = need(NAME, inputs, 'dy', 'input');
    const df = attrs.dataFormat;
    if (input.shape.length !== 4 || dy.dtype !== 'float32' || input.dtype !== 'float32' || (df != null && df !== 'NHWC' && df !== 'channelsLast')) {
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
    const dims = Int32Array.of(
      info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
      info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
      info.effectiveFilterHeight, info.effectiveFilterWidth, info.padInfo.top, info.padInfo.left,
    );
    const out = backend.makeOutput(input.shape, 'float32');
    try {
      // views taken after the allocation, which may have grown (moved) the heap
      lib.maxPoolBackward(dims, f32(backend, input), f32(backend, dy), f32(backend, out));
    } catch (e) {
      backend.disposeData(out.dataId);
      throw e;
    }
    countNativeCall();
    return out;
  };
}

/** Wraps the MaxPoolGrad kernel registered now for 'wasm' (after the fill-ins). Idempotent. */
export function registerNativePooling(): string[] {
  return wrapWasmKernels([NAME], WRAPPED, nativeMaxPoolGrad);
}
