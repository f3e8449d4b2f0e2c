/**
 * Convolutions on the wasm backend through the native addon (oneDNN): Conv2D,
 * DepthwiseConv2dNative and their input and filter gradients.
 *
 * Each kernel wraps the one registered before it (XNNPACK, the fill-ins, the
 * helper-thread split) and falls back to it for what the addon does not take
 * (other dtypes or data formats, geometries whose output size is not
 * oneDNN's floor rule) and whenever the native kernels are off.
 */
import * as tf from '@tensorflow/tfjs';
import { convInfo, f32, need, WasmKernelFunc as KernelFunc, wrapWasmKernels } from '../kernels/common';
import { nativeAddon, nativeOutput } from './addon';

type Kind = 0 | 1 | 2;

const KINDS: Record<string, { kind: Kind; depthwise: boolean; a: string; b: string }> = {
  Conv2D: { kind: 0, depthwise: false, a: 'x', b: 'filter' },
  Conv2DBackpropInput: { kind: 1, depthwise: false, a: 'dy', b: 'filter' },
  Conv2DBackpropFilter: { kind: 2, depthwise: false, a: 'x', b: 'dy' },
  DepthwiseConv2dNative: { kind: 0, depthwise: true, a: 'x', b: 'filter' },
  DepthwiseConv2dNativeBackpropInput: { kind: 1, depthwise: true, a: 'dy', b: 'filter' },
  DepthwiseConv2dNativeBackpropFilter: { kind: 2, depthwise: true, a: 'x', b: 'dy' },
};

/** The kernels that run natively when the addon is there. */
export const NATIVE_CONVOLUTIONS: readonly string[] = Object.keys(KINDS);

function native(kernelName: string, inner: KernelFunc): KernelFunc {
  const { kind, depthwise, a: aName, b: bName } = KINDS[kernelName];
  return (args) => {
    const lib = nativeAddon();
    if (lib == null) return inner(args);
    const { inputs, backend, attrs = {} } = args;
    const [a, b] = need(kernelName, inputs, aName, bName);
    const df = attrs.dataFormat;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || (df != null && df !== 'NHWC' && df !== 'channelsLast')) {
      return inner(args);
    }
    const xShape = kind === 1 ? (attrs.inputShape as number[]) : a.shape;
    const filterShape = kind === 2 ? (attrs.filterShape as number[]) : b.shape;
    const info = convInfo(kernelName, xShape, filterShape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, depthwise);
    // an empty tensor: nothing for oneDNN to do, the wrapped kernel handles it
    if (info.batchSize === 0 || info.outHeight <= 0 || info.outWidth <= 0 || info.inChannels === 0 || info.outChannels === 0) {
      return inner(args);
    }
    const p = info.padInfo;
    // oneDNN's output size is floor((in + pads - effective filter) / stride) + 1; anything else stays with the inner kernel
    const fits = (inSize: number, pad0: number, pad1: number, eff: number, stride: number, out: number) =>
      pad0 >= 0 && pad1 >= 0 && Math.floor((inSize + pad0 + pad1 - eff) / stride) + 1 === out;
    if (
      !fits(info.inHeight, p.top, p.bottom, info.effectiveFilterHeight, info.strideHeight, info.outHeight) ||
      !fits(info.inWidth, p.left, p.right, info.effectiveFilterWidth, info.strideWidth, info.outWidth)
    ) {
      return inner(args);
    }
    const dims = Int32Array.of(
      info.batchSize, info.inHeight, info.inWidth, info.inChannels,
      info.outHeight, info.outWidth, info.outChannels,
      info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth,
      info.dilationHeight, info.dilationWidth, p.top, p.left, p.bottom, p.right,
    );
    const outShape = kind === 0 ? info.outShape : kind === 1 ? xShape : filterShape;
    const run = depthwise ? lib.depthwise : lib.conv;
    return nativeOutput(backend, [...outShape], (out) => run(kind, dims, f32(backend, a), f32(backend, b), out));
  };
}

const WRAPPED = Symbol.for('absnas.nativeKernels');

/**
 * Wraps the convolution kernels registered now for 'wasm' with the native
 * ones (each falls back to the kernel it wraps). Idempotent; call it after
 * the fill-ins and the helper-thread split are registered. Returns the
 * names wrapped now.
 */
export function registerNativeConvolutions(): string[] {
  return wrapWasmKernels(NATIVE_CONVOLUTIONS, WRAPPED, native);
}
