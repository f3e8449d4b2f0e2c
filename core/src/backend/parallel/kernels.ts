/**
 * Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter for wasm, split over
 * the batch between the main thread and the helper thread (helper.ts) when
 * the convolution is large enough; otherwise, and whenever the helper is not
 * ready, the wrapped kernel alone.
 *
 * The forward and the input gradient are exact per image, so a split result
 * is bitwise the unsplit one; the filter gradient is the sum of the two
 * halves' gradients (the order of the additions differs). When the helper
 * fails a job, the main thread computes that half itself (and the helper is
 * not used again).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { f32, KernelArgs, need, WasmKernelFunc as KernelFunc, wrapWasmKernels } from '../kernels/common';
import { post, readyHelper } from './helper';

/** Below this many multiply-adds a kernel is not split (the copies and the hand-over would eat the gain). */
export const SPLIT_MIN_MACS = 20e6;
let minMacs = SPLIT_MIN_MACS;

/** Sets the split threshold (multiply-adds); for tests. */
export function setSplitThreshold(macs: number = SPLIT_MIN_MACS): void {
  minMacs = macs;
}


/** Rows [from, to) of a float32 NHWC tensor, as a new wasm tensor. */
function rows(backend: BackendWasm, t: tf.TensorInfo, from: number, to: number): tf.TensorInfo {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = backend.makeOutput([to - from, ...t.shape.slice(1)], 'float32');
  f32(backend, out).set(f32(backend, t).subarray(from * per, to * per));
  return out;
}

function values(backend: BackendWasm, t: tf.TensorInfo, from = 0, to = t.shape[0]): Float32Array {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return f32(backend, t).subarray(from * per, to * per);
}

function macs(kernel: string, attrs: tf.NamedAttrMap, a: tf.TensorInfo, b: tf.TensorInfo): number {
  // forward: x, filter; input gradient: dy, filter; filter gradient: x, dy
  if (kernel === 'Conv2DBackpropFilter') {
    const f = attrs.filterShape as number[];
    return b.shape.reduce((p, q) => p * q, 1) * f[0] * f[1] * f[2];
  }
  if (kernel === 'Conv2DBackpropInput') {
    return a.shape.reduce((p, q) => p * q, 1) * b.shape[0] * b.shape[1] * b.shape[2];
  }
  // forward: output size ~ input rows / stride^2
  const [n, h, w] = a.shape;
  const s = attrs.strides as number | number[];
  const [sh, sw] = typeof s === 'number' ? [s, s] : [s[0], s[1]];
  return n * Math.ceil(h / sh) * Math.ceil(w / sw) * b.shape[0] * b.shape[1] * b.shape[2] * b.shape[3];
}

function split(kernel: string, inner: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs = {} } = args;
    const [a, b] =
      kernel === 'Conv2D' ? need(kernel, inputs, 'x', 'filter') : kernel === 'Conv2DBackpropInput' ? need(kernel, inputs, 'dy', 'filter') : need(kernel, inputs, 'x', 'dy');
    const n = a.shape[0];
    const df = attrs.dataFormat;
    if (n < 2 || a.dtype !== 'float32' || b.dtype !== 'float32' || (df != null && df !== 'NHWC' && df !== 'channelsLast') || macs(kernel, attrs, a, b) < minMacs) {
      return inner(args);
    }
    const h = readyHelper();
    if (h == null) return inner(args);
    const n1 = Math.floor(n / 2);
    const n2 = n - n1;
    let pending;
    let mainArgs: KernelArgs;
    let restArgs: () => KernelArgs;
    let full: number[];
    if (kernel === 'Conv2D') {
      const outFull = tf.backend_util.computeConv2DInfo(
        a.shape as [number, number, number, number], b.shape as [number, number, number, number],
        attrs.strides as [number, number], attrs.dilations as [number, number], attrs.pad as 'same',
        attrs.dimRoundingMode as 'floor', false, 'channelsLast',
      ).outShape;
      full = outFull;
      pending = post(h, kernel, attrs, { x: { shape: [n2, ...a.shape.slice(1)], values: values(backend, a, n1) }, filter: { shape: b.shape, values: values(backend, b) } }, [n2, ...outFull.slice(1)]);
      if (pending == null) return inner(args);
      const x1 = rows(backend, a, 0, n1);
      mainArgs = { inputs: { x: x1, filter: b }, backend, attrs };
      restArgs = () => ({ inputs: { x: rows(backend, a, n1, n), filter: b }, backend, attrs });
    } else if (kernel === 'Conv2DBackpropInput') {
      const inShape = attrs.inputShape as number[];
      full = inShape;
      const half = { ...attrs, inputShape: [n2, ...inShape.slice(1)] };
      pending = post(h, kernel, half, { dy: { shape: [n2, ...a.shape.slice(1)], values: values(backend, a, n1) }, filter: { shape: b.shape, values: values(backend, b) } }, [n2, ...inShape.slice(1)]);
      if (pending == null) return inner(args);
      mainArgs = { inputs: { dy: rows(backend, a, 0, n1), filter: b }, backend, attrs: { ...attrs, inputShape: [n1, ...inShape.slice(1)] } };
      restArgs = () => ({ inputs: { dy: rows(backend, a, n1, n), filter: b }, backend, attrs: half });
    } else {
      full = attrs.filterShape as number[];
      pending = post(h, kernel, attrs, { x: { shape: [n2, ...a.shape.slice(1)], values: values(backend, a, n1) }, dy: { shape: [n2, ...b.shape.slice(1)], values: values(backend, b, n1) } }, full);
      if (pending == null) return inner(args);
      mainArgs = { inputs: { x: rows(backend, a, 0, n1), dy: rows(backend, b, 0, n1) }, backend, attrs };
      restArgs = () => ({ inputs: { x: rows(backend, a, n1, n), dy: rows(backend, b, n1, n) }, backend, attrs });
    }
    const release = (k: KernelArgs) => {
      for (const [name, t] of Object.entries(k.inputs)) if (t !== inputs[name] && t != null) backend.disposeData(t.dataId);
    };
    let mine: tf.TensorInfo | undefined;
    try {
      mine = inner(mainArgs);
    } finally {
      release(mainArgs);
      // the helper's half must be collected even when ours threw
      if (mine == null) {
        try {
          pending.wait();
        } catch {
          /* reported by the first error */
        }
      }
    }
    let theirs: Float32Array;
    try {
      theirs = pending.wait();
    } catch {
      // the helper failed (and is off from now on): the main thread does its half too
      const rest = restArgs();
      try {
        const t = inner(rest);
        theirs = f32(backend, t).slice();
        backend.disposeData(t.dataId);
      } finally {
        release(rest);
      }
    }
    if (kernel === 'Conv2DBackpropFilter') {
      const dst = f32(backend, mine);
      for (let i = 0; i < dst.length; i++) dst[i] += theirs[i];
      return mine;
    }
    const out = backend.makeOutput(full, 'float32');
    const dst = f32(backend, out);
    const m = f32(backend, mine);
    dst.set(m);
    dst.set(theirs, m.length);
    backend.disposeData(mine.dataId);
    return out;
  };
}

const WRAPPED = Symbol.for('absnas.wasmSplit');

/**
 * Wraps the kernels registered now for 'wasm' (the stock Conv2D, the absnas
 * fill-ins for the two gradients) with the batch split. Idempotent; call it
 * after registerWasmFillIns.
 */
export function registerWasmSplitKernels(): string[] {
  return wrapWasmKernels(['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'], WRAPPED, split);
}
