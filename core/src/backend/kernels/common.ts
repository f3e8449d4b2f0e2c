/**
 * Shared helpers for the wasm fill-in kernels.
 *
 * The fill-ins work on the level of the wasm backend itself: they receive
 * TensorInfos, allocate their outputs with `backend.makeOutput`, read and
 * write the wasm heap through typed-array views, and compose other wasm
 * kernels (Conv2D, Transpose, ...) by calling their kernel functions
 * directly. Intermediates created that way are never seen by the engine, so
 * every one of them must be released with `backend.disposeData` (see
 * `Scratch`).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];
export type PadAttr = 'valid' | 'same' | number | ExplicitPadding;
export type RoundingMode = 'floor' | 'round' | 'ceil' | undefined;

/** What a fill-in kernel function receives. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs?: tf.NamedAttrMap;
}

/** Marks the kernel configs registered by absnas (shared across module copies). */
export const FILL_IN_MARK = Symbol.for('absnas.wasmFillIn');

export interface FillInConfig extends tf.KernelConfig {
  [FILL_IN_MARK]?: true;
}

export function fillIn(kernelName: string, kernelFunc: (args: KernelArgs) => tf.TensorInfo): FillInConfig {
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    [FILL_IN_MARK]: true,
  };
}

/** A kernel function as the fill-ins see it. */
export type WasmKernelFunc = (args: KernelArgs) => tf.TensorInfo;

/**
 * Replaces each named kernel registered now for 'wasm' with wrap(name, it),
 * keeping its setup/dispose functions and fill-in mark; `marker` tags the
 * wrapped config so that a second call (or a second copy of this module)
 * leaves it alone. Returns the names wrapped now.
 */
export function wrapWasmKernels(names: readonly string[], marker: symbol, wrap: (name: string, inner: WasmKernelFunc) => WasmKernelFunc): string[] {
  const done: string[] = [];
  for (const name of names) {
    const current = tf.getKernel(name, 'wasm') as (FillInConfig & { [k: symbol]: unknown }) | undefined;
    if (current == null || current[marker]) continue;
    const config: FillInConfig & { [k: symbol]: unknown } = {
      kernelName: name,
      backendName: 'wasm',
      setupFunc: current.setupFunc,
      disposeFunc: current.disposeFunc,
      kernelFunc: wrap(name, current.kernelFunc as unknown as WasmKernelFunc) as unknown as tf.KernelFunc,
      [marker]: true,
    };
    if (current[FILL_IN_MARK]) config[FILL_IN_MARK] = true;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
    done.push(name);
  }
  return done;
}

/** The named inputs of a kernel call; throws if one is missing. */
export function need(kernelName: string, inputs: tf.NamedTensorInfoMap, ...names: string[]): tf.TensorInfo[] {
  return names.map((name) => {
    const t = inputs[name];
    if (t == null) throw new Error(`absnas wasm ${kernelName}: input '${name}' is missing`);
    return t;
  });
}

/** Throws unless the data format (as a kernel attribute) is NHWC / channelsLast. */
export function assertNHWC(kernelName: string, dataFormat: unknown): void {
  if (dataFormat == null || dataFormat === 'NHWC' || dataFormat === 'channelsLast') return;
  throw new Error(
    `absnas wasm ${kernelName}: only dataFormat 'NHWC' is supported, got '${String(dataFormat)}'. ` +
      `Transpose the tensors to NHWC first.`,
  );
}

export function pair(v: number | [number, number] | number[] | undefined, fallback = 1): [number, number] {
  if (v == null) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  return [v[0], v[1]];
}

export function shape4(t: tf.TensorInfo | number[], what: string, kernelName: string): [number, number, number, number] {
  const s = Array.isArray(t) ? t : t.shape;
  if (s.length !== 4) throw new Error(`absnas wasm ${kernelName}: ${what} must be rank 4, got shape [${s.join(', ')}]`);
  return [s[0], s[1], s[2], s[3]];
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Runs another kernel registered for the wasm backend, bypassing the engine. */
export function callWasmKernel(
  kernelName: string,
  backend: BackendWasm,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap,
): tf.TensorInfo {
  const config = tf.getKernel(kernelName, 'wasm');
  if (config == null) throw new Error(`absnas wasm fill-ins: kernel '${kernelName}' is not registered for wasm`);
  const out = config.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`absnas wasm fill-ins: kernel '${kernelName}' returned several outputs`);
  return out;
}

/** A typed-array view of a tensor's data on the wasm heap. Invalid after the next allocation. */
export function f32(backend: BackendWasm, t: tf.TensorInfo): Float32Array {
  const v = backend.typedArrayFromHeap(t);
  if (!(v instanceof Float32Array)) throw new Error(`absnas wasm fill-ins: expected float32 data, got ${t.dtype}`);
  return v;
}

export function i32(backend: BackendWasm, t: tf.TensorInfo): Int32Array {
  if (t.dtype === 'int32') return backend.typedArrayFromHeap(t) as Int32Array;
  // float32 or bool ids: convert (copy) to int32
  const v = backend.typedArrayFromHeap(t);
  return Int32Array.from(v as ArrayLike<number>, (x) => Math.trunc(x));
}

/**
 * Intermediates of one kernel call. `keep` hands one of them out as the
 * kernel's result; everything else is released by `dispose`, also when the
 * kernel throws.
 */
export class Scratch {
  private readonly infos: tf.TensorInfo[] = [];

  constructor(private readonly backend: BackendWasm) {}

  add(t: tf.TensorInfo): tf.TensorInfo {
    this.infos.push(t);
    return t;
  }

  output(shape: number[], dtype: tf.DataType = 'float32'): tf.TensorInfo {
    return this.add(this.backend.makeOutput(shape, dtype));
  }

  keep(t: tf.TensorInfo): tf.TensorInfo {
    const i = this.infos.indexOf(t);
    if (i >= 0) this.infos.splice(i, 1);
    return t;
  }

  dispose(): void {
    for (const t of this.infos) this.backend.disposeData(t.dataId);
    this.infos.length = 0;
  }
}

export function withScratch<T>(backend: BackendWasm, f: (s: Scratch) => T): T {
  const s = new Scratch(backend);
  try {
    return f(s);
  } finally {
    s.dispose();
  }
}

/** Convolution geometry, NHWC, from tfjs's own computeConv2DInfo. */
export function convInfo(
  kernelName: string,
  xShape: number[],
  filterShape: number[],
  strides: unknown,
  dilations: unknown,
  pad: unknown,
  dimRoundingMode: unknown,
  depthwise: boolean,
): tf.backend_util.Conv2DInfo {
  const info = tf.backend_util.computeConv2DInfo(
    shape4(xShape, 'input', kernelName),
    shape4(filterShape, 'filter', kernelName),
    pair(strides as number | [number, number]),
    pair(dilations as number | [number, number] | undefined),
    pad as PadAttr,
    dimRoundingMode as RoundingMode,
    depthwise,
    'channelsLast',
  );
  if (info.strideHeight < 1 || info.strideWidth < 1 || info.dilationHeight < 1 || info.dilationWidth < 1) {
    throw new Error(`absnas wasm ${kernelName}: strides and dilations must be >= 1`);
  }
  return info;
}

/**
 * Rotates a filter by 180 degrees in the two spatial axes, optionally swapping
 * its last two axes: out[a, b, ..] = f[kh-1-a, kw-1-b, ..].
 */
export function rotateFilter(
  backend: BackendWasm,
  scratch: Scratch,
  filter: tf.TensorInfo,
  swapInOut: boolean,
): tf.TensorInfo {
  const [kh, kw, ci, co] = filter.shape;
  const out = scratch.output(swapInOut ? [kh, kw, co, ci] : [kh, kw, ci, co]);
  const src = f32(backend, filter);
  const dst = f32(backend, out);
  const tap = ci * co;
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const s0 = ((kh - 1 - a) * kw + (kw - 1 - b)) * tap;
      const d0 = (a * kw + b) * tap;
      if (!swapInOut) {
        dst.set(src.subarray(s0, s0 + tap), d0);
        continue;
      }
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) dst[d0 + o * ci + i] = src[s0 + i * co + o];
      }
    }
  }
  return out;
}

/**
 * Builds the operand of a "full" correlation that yields the input gradient:
 * dy with (stride - 1) zeros inserted between its rows and columns, shifted
 * by (padTop, padLeft) (a negative shift crops) inside a zero frame of
 * spatial size outH x outW.
 */
export function spreadAndPad(
  backend: BackendWasm,
  scratch: Scratch,
  dy: tf.TensorInfo,
  strideH: number,
  strideW: number,
  padTop: number,
  padLeft: number,
  outH: number,
  outW: number,
): tf.TensorInfo {
  const [n, hy, wy, c] = dy.shape;
  const out = scratch.output([n, outH, outW, c]);
  const src = f32(backend, dy);
  const dst = f32(backend, out);
  dst.fill(0);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < hy; y++) {
      const u = y * strideH + padTop;
      if (u < 0 || u >= outH) continue;
      for (let x = 0; x < wy; x++) {
        const v = x * strideW + padLeft;
        if (v < 0 || v >= outW) continue;
        const s0 = ((b * hy + y) * wy + x) * c;
        dst.set(src.subarray(s0, s0 + c), ((b * outH + u) * outW + v) * c);
      }
    }
  }
  return out;
}

/**
 * Geometry of the input gradient as a stride-1 correlation of (spread) dy with
 * the rotated filter: the shift of dy inside the frame, and the bottom/right
 * padding that makes the result inH x inW.
 */
export function inputGradGeometry(info: tf.backend_util.Conv2DInfo): {
  top: number;
  bottom: number;
  left: number;
  right: number;
  spreadH: number;
  spreadW: number;
} {
  const spreadH = (info.outHeight - 1) * info.strideHeight + 1;
  const spreadW = (info.outWidth - 1) * info.strideWidth + 1;
  const top = info.effectiveFilterHeight - 1 - info.padInfo.top;
  const left = info.effectiveFilterWidth - 1 - info.padInfo.left;
  const bottom = info.inHeight + info.effectiveFilterHeight - 1 - spreadH - top;
  const right = info.inWidth + info.effectiveFilterWidth - 1 - spreadW - left;
  return { top, bottom, left, right, spreadH, spreadW };
}

/**
 * The operand and padding of the stride-1 correlation that yields an input
 * gradient: dy itself with explicit padding where that suffices (stride 1, no
 * cropping), else dy spread and framed by spreadAndPad with no padding left.
 */
export function inputGradOperand(
  backend: BackendWasm,
  scratch: Scratch,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): { operand: tf.TensorInfo; padding: tf.backend_util.ExplicitPadding } {
  const g = inputGradGeometry(info);
  const direct = info.strideHeight === 1 && info.strideWidth === 1 && g.top >= 0 && g.bottom >= 0 && g.left >= 0 && g.right >= 0;
  if (direct) return { operand: dy, padding: [[0, 0], [g.top, g.bottom], [g.left, g.right], [0, 0]] };
  const operand = spreadAndPad(
    backend,
    scratch,
    dy,
    info.strideHeight,
    info.strideWidth,
    g.top,
    g.left,
    info.inHeight + info.effectiveFilterHeight - 1,
    info.inWidth + info.effectiveFilterWidth - 1,
  );
  return { operand, padding: [[0, 0], [0, 0], [0, 0], [0, 0]] };
}
