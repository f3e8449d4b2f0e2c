/**
 * Add and Multiply with a broadcast operand (a per-channel vector, a
 * per-position map [1, h, w, 1], a scalar) on the wasm backend through the
 * native addon (core/native/elementwise.cc): the same float32 operation per
 * element as the wasm kernels (bitwise their results), 2.6x faster than
 * their broadcasting path on one thread. Each wraps the kernel registered
 * before it and falls back to it for operands of the same shape (there the
 * wasm kernels are as fast: the work is memory-bound), small tensors, other
 * dtypes and broadcasts the addon does not take.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, KernelArgs, WasmKernelFunc, wrapWasmKernels } from '../kernels/common';
import { countNativeCall, nativeAddon } from './addon';

/** Below this many output elements the wasm kernel runs. */
export const NATIVE_ELEMENTWISE_MIN = 16384;

const WRAPPED = Symbol.for('absnas.nativeElementwise');
const OPS: Record<string, number> = { Add: 0, Multiply: 1 };

/**
 * How `small` broadcasts against `full` (equal rank after right-alignment):
 * the elementwise.h pattern [outer][mid][inner], or null when its
 * non-singleton dimensions are not one contiguous run matching `full`.
 */
export function broadcastPattern(full: readonly number[], small: readonly number[]): { mid: number; inner: number } | null {
  if (small.length > full.length) return null;
  const aligned = [...Array(full.length - small.length).fill(1), ...small];
  // dimensions of size 1 in the full shape do not matter
  const keep = full.map((d, i) => i).filter((i) => full[i] !== 1);
  const f = keep.map((i) => full[i]);
  const s = keep.map((i) => aligned[i]);
  const first = s.findIndex((d) => d !== 1);
  if (first < 0) return { mid: 1, inner: 1 }; // a scalar
  let last = s.length - 1;
  while (s[last] === 1) last--;
  let mid = 1;
  for (let i = first; i <= last; i++) {
    if (s[i] !== f[i]) return null;
    mid *= s[i];
  }
  let inner = 1;
  for (let i = last + 1; i < f.length; i++) inner *= f[i];
  return { mid, inner };
}

function nativeBinary(name: string, inner: WasmKernelFunc): WasmKernelFunc {
  const op = OPS[name];
  return (args: KernelArgs) => {
    const lib = nativeAddon();
    if (lib == null) return inner(args);
    const { a, b } = args.inputs;
    if (a == null || b == null || a.dtype !== 'float32' || b.dtype !== 'float32') return inner(args);
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const n = tf.util.sizeFromShape(outShape);
    if (n < NATIVE_ELEMENTWISE_MIN) return inner(args);
    // a + b = b + a and a * b = b * a exactly: the full-size operand goes first
    const [full, small] = tf.util.arraysEqual(a.shape, outShape) ? [a, b] : [b, a];
    if (!tf.util.arraysEqual(full.shape, outShape)) return inner(args);
    const pattern = broadcastPattern(full.shape, small.shape);
    if (pattern == null || pattern.mid === n) return inner(args);
    const { backend } = args;
    const out = backend.makeOutput(outShape, 'float32');
    try {
      // views taken after the allocation, which may have grown (moved) the heap
      lib.binary(op, f32(backend, full), f32(backend, small), pattern.mid, pattern.inner, f32(backend, out));
    } catch (e) {
      backend.disposeData(out.dataId);
      throw e;
    }
    countNativeCall();
    return out;
  };
}

/** Wraps Add and Multiply as registered now for 'wasm'. Idempotent; returns the names wrapped now. */
export function registerNativeElementwise(): string[] {
  return wrapWasmKernels(Object.keys(OPS), WRAPPED, nativeBinary);
}
