/**
 * Add, Multiply, AddN and Relu on the wasm backend through the native addon
 * (core/native/elementwise.cc, activation.cc), on the cores the load allows
 * (tfjs's wasm kernels run on one thread, and take a slow path when an
 * operand broadcasts: a per-channel vector, a per-position map [1, h, w, 1],
 * a scalar). Each computes the same float32 operation per element as the
 * wasm kernel (AddN sums in input order; Relu is an integer max, -0 and NaNs
 * included), so the results are bitwise theirs. Each wraps the kernel
 * registered before it and falls back to it for small tensors, other dtypes
 * and broadcasts the addon does not take.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, KernelArgs, WasmKernelFunc, wrapWasmKernels } from '../kernels/common';
import { nativeAddon, nativeOutput } from './addon';

/** Below this many output elements the wasm kernel runs. */
export const NATIVE_ELEMENTWISE_MIN = 16384;

const WRAPPED = Symbol.for('absnas.nativeElementwise');
const BINARY: Record<string, number> = { Add: 0, Multiply: 1 };

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
  const op = BINARY[name];
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
    if (pattern == null) return inner(args);
    const { backend } = args;
    return nativeOutput(backend, outShape, (out) => lib.binary(op, f32(backend, full), f32(backend, small), pattern.mid, pattern.inner, out));
  };
}

function nativeAddN(_name: string, inner: WasmKernelFunc): WasmKernelFunc {
  return (args: KernelArgs) => {
    const lib = nativeAddon();
    const inputs = Object.keys(args.inputs)
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => args.inputs[k] as tf.TensorInfo);
    const first = inputs[0];
    if (lib == null || first == null || inputs.length < 2 || first.dtype !== 'float32' || tf.util.sizeFromShape(first.shape) < NATIVE_ELEMENTWISE_MIN) return inner(args);
    if (inputs.some((t) => t.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, first.shape))) return inner(args);
    const { backend } = args;
    return nativeOutput(backend, first.shape, (out) => lib.addN(inputs.map((t) => f32(backend, t)), out));
  };
}

function nativeRelu(_name: string, inner: WasmKernelFunc): WasmKernelFunc {
  return (args: KernelArgs) => {
    const lib = nativeAddon();
    const { x } = args.inputs;
    if (lib == null || x == null || x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) < NATIVE_ELEMENTWISE_MIN) return inner(args);
    const { backend } = args;
    return nativeOutput(backend, x.shape, (out) => lib.relu(f32(backend, x), out));
  };
}

const WRAPS: Record<string, (name: string, inner: WasmKernelFunc) => WasmKernelFunc> = {
  Add: nativeBinary,
  Multiply: nativeBinary,
  AddN: nativeAddN,
  Relu: nativeRelu,
};

/** Wraps Add, Multiply, AddN and Relu as registered now for 'wasm'. Idempotent; returns the names wrapped now. */
export function registerNativeElementwise(): string[] {
  return wrapWasmKernels(Object.keys(WRAPS), WRAPPED, (name, inner) => WRAPS[name](name, inner));
}
