/**
 * Gradient kernels that tfjs-backend-wasm 4.22 lacks or gets wrong, as
 * kernels registered for the 'wasm' backend:
 *
 * - Conv2DBackpropFilter (missing): one XNNPACK Conv2D over transposed x and dy;
 * - Conv2DBackpropInput (slow plain loop): XNNPACK Conv2D with the rotated filter;
 * - DepthwiseConv2dNativeBackpropInput (missing): XNNPACK depthwise conv, rotated filter;
 * - DepthwiseConv2dNativeBackpropFilter (missing): JS loop;
 * - MaxPoolGrad (wrong when a window's maximum is <= 0): JS loop;
 * - UnsortedSegmentSum (missing; gradient of gather): JS loop;
 * - OneHot (float32 output holds int32 bit patterns): JS loop;
 * - Identity (copies the whole buffer, once per tensor saved for the backward
 *   pass): shares the buffer, reference-counted;
 * - Slice (copies the whole input out of the heap first): copies contiguous
 *   runs from a heap view;
 * - Cast (copies even to the same dtype, as tfjs's avgPool op does with every
 *   result): shares the buffer when the dtype does not change;
 * - AvgPoolGrad (divides by the full window size while AvgPool averages over
 *   the real cells only): JS loop. The cpu backend has the same bug, see
 *   registerCpuFixes.
 *
 * All of them take NHWC tensors only. The convolution kernels accept strides,
 * dilations and 'same' / 'valid' / numeric / explicit padding.
 */
// The stock wasm kernels must be registered before ours replace them.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import { FILL_IN_MARK, FillInConfig } from './kernels/common';
import { avgPoolGradCpuConfig, avgPoolGradWasmConfig } from './kernels/avg-pool-grad';
import { conv2DBackpropFilterConfig } from './kernels/conv2d-backprop-filter';
import { conv2DBackpropInputConfig } from './kernels/conv2d-backprop-input';
import { castConfig } from './kernels/cast';
import { identityConfig } from './kernels/identity';
import { sliceConfig } from './kernels/slice';
import { depthwiseConv2dNativeBackpropFilterConfig } from './kernels/depthwise-backprop-filter';
import { depthwiseConv2dNativeBackpropInputConfig } from './kernels/depthwise-backprop-input';
import { maxPoolGradConfig } from './kernels/max-pool-grad';
import { oneHotConfig } from './kernels/one-hot';
import { unsortedSegmentSumConfig } from './kernels/unsorted-segment-sum';

export const WASM_FILL_INS: readonly FillInConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  maxPoolGradConfig,
  unsortedSegmentSumConfig,
  oneHotConfig,
  avgPoolGradWasmConfig,
  identityConfig,
  sliceConfig,
  castConfig,
];

/** Kernels of the cpu backend that are replaced (AvgPoolGrad, see above). */
export const CPU_FIXES: readonly FillInConfig[] = [avgPoolGradCpuConfig];

/** Names of the kernels that registerWasmFillIns provides for 'wasm'. */
export const WASM_FILL_IN_KERNELS: readonly string[] = WASM_FILL_INS.map((k) => k.kernelName);

function isFillIn(config: tf.KernelConfig | undefined): boolean {
  return config != null && (config as FillInConfig)[FILL_IN_MARK] === true;
}

/** True when every fill-in is the kernel registered for 'wasm'. */
export function wasmFillInsRegistered(): boolean {
  return WASM_FILL_INS.every((k) => isFillIn(tf.getKernel(k.kernelName, k.backendName)));
}

/** Registers configs, replacing stock kernels of the same name; skips those already ours. */
function install(configs: readonly FillInConfig[]): string[] {
  const registered: string[] = [];
  for (const config of configs) {
    const current = tf.getKernel(config.kernelName, config.backendName);
    if (isFillIn(current)) continue;
    if (current != null) tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(config);
    registered.push(config.kernelName);
  }
  return registered;
}

/**
 * Registers the fill-ins for backendName 'wasm', replacing stock kernels of
 * the same name. Idempotent: a kernel already replaced (by this or another
 * copy of this module) is left alone. Returns the names registered now.
 */
export function registerWasmFillIns(): string[] {
  return install(WASM_FILL_INS);
}

/** Registers the cpu backend's fixes (AvgPoolGrad). Idempotent; returns the names registered now. */
export function registerCpuFixes(): string[] {
  return install(CPU_FIXES);
}
