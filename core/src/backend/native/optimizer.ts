/**
 * The global-norm gradient clip and the SGD step of all parameters as one
 * native kernel on wasm (core/native/optimizer.cc): one engine call instead of
 * ~10 tfjs ops per parameter tensor, each with its per-op bookkeeping.
 *
 *   AbsnasSgdStep  {g0, p0, v0, g1, p1, v1, ...}, {count, learningRate, momentum,
 *                  weightDecay, nesterov, maxNorm, decays}  ->  [p'0.., v'0..]
 *
 * The update is the separate ops' float32 arithmetic in the same order (same
 * bits); only the clip scale's norm is summed in double, so when clipping is
 * active the scale can differ from the float32 sum in its last bit.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, KernelArgs } from '../kernels/common';
import { countNativeCall, nativeAddon } from './addon';

export const SGD_STEP = 'AbsnasSgdStep';

function sgdKernel({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo[] {
  const lib = nativeAddon();
  if (lib == null) throw new Error(`absnas native ${SGD_STEP}: the native kernels are not in use`);
  const count = Number(attrs.count);
  const momentum = Number(attrs.momentum);
  const decays = Uint8Array.from(attrs.decays as number[]);
  const get = (name: string): tf.TensorInfo => {
    const t = inputs[name];
    if (t == null || t.dtype !== 'float32') throw new Error(`absnas native ${SGD_STEP}: input '${name}' must be a float32 tensor`);
    return t;
  };
  const grads = Array.from({ length: count }, (_, i) => get(`g${i}`));
  const params = Array.from({ length: count }, (_, i) => get(`p${i}`));
  const velocities = momentum > 0 ? Array.from({ length: count }, (_, i) => get(`v${i}`)) : [];
  const outs = [...params, ...velocities].map((t) => backend.makeOutput(t.shape, 'float32'));
  try {
    // views taken after every allocation, which may have grown (moved) the heap
    const view = (t: tf.TensorInfo) => f32(backend, t);
    lib.sgdStep(
      grads.map(view),
      params.map(view),
      momentum > 0 ? velocities.map(view) : params.map(() => null),
      decays,
      outs.slice(0, count).map(view),
      momentum > 0 ? outs.slice(count).map(view) : params.map(() => null),
      Float64Array.of(Number(attrs.learningRate), momentum, Number(attrs.weightDecay), attrs.nesterov ? 1 : 0, Number(attrs.maxNorm)),
    );
  } catch (e) {
    for (const t of outs) backend.disposeData(t.dataId);
    throw e;
  }
  countNativeCall();
  return outs;
}

/** Registers the kernel for 'wasm' (idempotent). */
export function registerNativeOptimizer(): void {
  if (tf.getKernel(SGD_STEP, 'wasm') != null) return;
  tf.registerKernel({ kernelName: SGD_STEP, backendName: 'wasm', kernelFunc: sgdKernel as unknown as tf.KernelFunc });
}

/** One parameter tensor of a fused step. */
export interface FusedSgdEntry {
  param: tf.Variable;
  grad: tf.Tensor;
  /** the momentum buffer (with momentum > 0) */
  velocity?: tf.Variable;
  decays: boolean;
}

export interface FusedSgdSettings {
  learningRate: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
  /** the global-norm clip (<= 0: none) */
  maxNorm: number;
}

/** Whether fusedSgdStep runs now (wasm backend, native kernels in use). */
export function fusedSgdActive(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(SGD_STEP, 'wasm') != null && nativeAddon() != null;
}

/**
 * Clips and applies one SGD step to every entry through the native kernel
 * (fusedSgdActive() must hold), assigning the new values and momentum buffers.
 */
export function fusedSgdStep(entries: readonly FusedSgdEntry[], s: FusedSgdSettings): void {
  if (entries.length === 0) return;
  const inputs: tf.NamedTensorMap = {};
  entries.forEach((e, i) => {
    if (e.grad.dtype !== 'float32' || e.param.dtype !== 'float32') throw new Error(`sgd: parameter ${e.param.name} is not float32`);
    if (!tf.util.arraysEqual(e.grad.shape, e.param.shape)) {
      throw new Error(`sgd: gradient of ${e.param.name} has shape [${e.grad.shape}], the parameter [${e.param.shape}]`);
    }
    inputs[`g${i}`] = e.grad;
    inputs[`p${i}`] = e.param;
    if (s.momentum > 0) {
      if (e.velocity == null) throw new Error(`sgd: no momentum buffer for ${e.param.name}`);
      inputs[`v${i}`] = e.velocity;
    }
  });
  const attrs = {
    count: entries.length,
    learningRate: s.learningRate,
    momentum: s.momentum,
    weightDecay: s.weightDecay,
    nesterov: s.nesterov,
    maxNorm: s.maxNorm,
    decays: entries.map((e) => (e.decays ? 1 : 0)),
  };
  tf.tidy(() => {
    const outs = tf.engine().runKernel(SGD_STEP, inputs, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
    entries.forEach((e, i) => {
      e.param.assign(outs[i]);
      if (s.momentum > 0) (e.velocity as tf.Variable).assign(outs[entries.length + i]);
    });
  });
}
