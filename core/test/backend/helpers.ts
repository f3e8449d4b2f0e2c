import * as tf from '@tensorflow/tfjs';
import { nativeKernelCalls, nativeKernelsError, setNativeKernelsEnabled } from '../../src/backend';
import {
  asF32,
  compare,
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  ConvParams,
  depthwiseConv2d,
  depthwiseConv2dBackpropFilter,
  depthwiseConv2dBackpropInput,
  RELATIVE_TOLERANCE,
  seeded,
  Shape4,
  size,
} from './reference';

/** Seeded values that float32 represents exactly, and the matching tfjs tensor. */
export function randomPair(shape: number[], seed: number, lo = -1, hi = 1): { v: Float64Array; t: tf.Tensor } {
  const v = asF32(seeded(size(shape), seed, lo, hi));
  return { v, t: tf.tensor(Float32Array.from(v), shape) };
}

/** Asserts max |got - want| <= rel * max(1, max |want|), with a readable message. */
export function expectClose(label: string, got: ArrayLike<number>, want: ArrayLike<number>, rel = RELATIVE_TOLERANCE): void {
  const { maxAbsError, scale } = compare(got, want);
  const limit = rel * Math.max(1, scale);
  if (!(maxAbsError <= limit)) {
    throw new Error(`${label}: max abs error ${maxAbsError.toExponential(3)} > ${limit.toExponential(3)} (max |ref| ${scale.toFixed(3)})`);
  }
}

export function expectShape(label: string, t: { shape: number[] }, shape: number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${label}: shape [${t.shape}] expected [${shape}]`);
  }
}

export type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

export function explicitPad(p: number): tf.backend_util.ExplicitPadding {
  return [[0, 0], [p, p], [p, p], [0, 0]];
}

export function padName(pad: Pad): string {
  return typeof pad === 'string' ? pad : typeof pad === 'number' ? `number ${pad}` : `explicit ${pad[1][0]}`;
}

/** Number of tensors the engine tracks and of data buffers the backend holds. */
export function counts(): { tensors: number; dataIds: number } {
  return { tensors: tf.memory().numTensors, dataIds: tf.engine().backend.numDataIds() };
}

/** The backend the suite runs on (test/setup/backend.ts selects it from ABSNAS_BACKEND). */
export const BACKEND_UNDER_TEST = process.env.ABSNAS_BACKEND || 'wasm';

/** `test` for checks of the wasm kernels themselves, `test.skip` on another backend. */
export const wasmTest: jest.It = BACKEND_UNDER_TEST === 'wasm' ? test : test.skip;

/**
 * Why the native kernels cannot run in this test process ('' when they can).
 * They need the addon built (core/native/build.js) and the single-threaded
 * wasm build; ABSNAS_NATIVE_REQUIRED=1 (set by CI) makes their absence a
 * failure instead of a skip.
 */
export function nativeUnavailable(): string {
  if (BACKEND_UNDER_TEST !== 'wasm') return `the backend under test is ${BACKEND_UNDER_TEST}`;
  setNativeKernelsEnabled(true);
  const why = nativeKernelsError();
  setNativeKernelsEnabled(undefined);
  return why;
}

/** Whether this run requires the native kernels (ABSNAS_NATIVE_REQUIRED=1 on the wasm backend). */
export const NATIVE_REQUIRED = process.env.ABSNAS_NATIVE_REQUIRED === '1' && BACKEND_UNDER_TEST === 'wasm';

/** The failure of a run that requires the native kernels but cannot have them. */
export function nativeRequiredError(why: string): Error {
  return new Error(`the native kernels are required (ABSNAS_NATIVE_REQUIRED=1) but unavailable: ${why}`);
}

/**
 * Declares a suite once per kernel set of the backend under test: on wasm,
 * with the wasm kernels (XNNPACK and the fill-ins, the native kernels off)
 * and with absnas's native kernels (where the addon is built; that suite
 * also checks that the native kernels did run). Elsewhere, once.
 */
export function describeKernelSets(title: string, body: () => void): void {
  if (BACKEND_UNDER_TEST !== 'wasm') {
    describe(title, body);
    return;
  }
  describe(`${title} [wasm kernels]`, () => {
    beforeAll(() => setNativeKernelsEnabled(false));
    afterAll(() => setNativeKernelsEnabled(undefined));
    body();
  });
  const why = nativeUnavailable();
  if (why !== '') {
    if (NATIVE_REQUIRED) {
      test(`${title} [native kernels]`, () => {
        throw nativeRequiredError(why);
      });
    } else {
      test.skip(`${title} [native kernels]: ${why}`, () => undefined);
    }
    return;
  }
  describe(`${title} [native kernels]`, () => {
    let calls = 0;
    beforeAll(() => {
      setNativeKernelsEnabled(true);
      calls = nativeKernelCalls();
    });
    afterAll(() => setNativeKernelsEnabled(undefined));
    body();
    test('the native kernels ran', () => expect(nativeKernelCalls()).toBeGreaterThan(calls));
  });
}

/** A tensor read back: its values and shape. */
export interface Read {
  values: Float32Array | Int32Array | Uint8Array;
  shape: number[];
  dtype: tf.DataType;
}

type Evaluated<T> = { [K in keyof T]: T[K] extends tf.Tensor ? Read : T[K] };

/**
 * Runs f inside tf.tidy, reads every tensor of the object it returns with
 * `await data()` (synchronous reads are not possible on every backend:
 * webgpu in Node has none), disposes them and returns the values; entries
 * that are not tensors pass through. Every tensor f made is released.
 */
export async function evaluate<T extends Record<string, unknown>>(f: () => T): Promise<Evaluated<T>> {
  let out: T | undefined;
  tf.tidy(() => {
    out = f();
    for (const v of Object.values(out)) if (v instanceof tf.Tensor) tf.keep(v);
  });
  const result: Record<string, unknown> = {};
  const tensors: tf.Tensor[] = [];
  try {
    for (const [k, v] of Object.entries(out as T)) {
      if (v instanceof tf.Tensor) {
        tensors.push(v);
        result[k] = { values: (await v.data()) as Read['values'], shape: v.shape, dtype: v.dtype };
      } else {
        result[k] = v;
      }
    }
  } finally {
    tf.dispose(tensors);
  }
  return result as Evaluated<T>;
}

/** The convolutions expectConvMatchesReference checks: the tfjs op and its float64 references. */
const CONVOLUTIONS = {
  conv2d: { op: tf.conv2d, forward: conv2d, dx: conv2dBackpropInput, dw: conv2dBackpropFilter },
  depthwise: { op: tf.depthwiseConv2d, forward: depthwiseConv2d, dx: depthwiseConv2dBackpropInput, dw: depthwiseConv2dBackpropFilter },
};

/**
 * tf.conv2d (or tf.depthwiseConv2d) of seeded x [xShape] and w [wShape]
 * (seeds seed, seed + 1) and its two gradients, taken through a seeded
 * cotangent (seed + 2), against the float64 reference: shapes, values
 * (expectClose), and no tensor left behind.
 */
export async function expectConvMatchesReference(
  kind: keyof typeof CONVOLUTIONS,
  xShape: Shape4,
  wShape: Shape4,
  stride: number,
  pad: Pad,
  dilation: number,
  seed: number,
): Promise<void> {
  const conv = CONVOLUTIONS[kind];
  const p: ConvParams = { stride: [stride, stride], dilation: [dilation, dilation], pad: pad as ConvParams['pad'] };
  const before = counts();
  const o = await evaluate(() => {
    const x = randomPair(xShape, seed);
    const w = randomPair(wShape, seed + 1);
    const ref = conv.forward(x.v, xShape, w.v, wShape, p);
    const r = randomPair(ref.shape, seed + 2);
    const f = (a: tf.Tensor, b: tf.Tensor): tf.Tensor4D => conv.op(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad, 'NHWC', dilation);
    const y = f(x.t, w.t);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), r.t)))([x.t, w.t]);
    return { y, dx, dw, ref, xv: x.v, wv: w.v, rv: r.v };
  });
  expectShape('y', o.y, o.ref.shape);
  expectClose('forward', o.y.values, o.ref.data);
  expectShape('dx', o.dx, xShape);
  expectShape('dw', o.dw, wShape);
  expectClose('dx', o.dx.values, conv.dx(o.rv, xShape, o.wv, wShape, p).data);
  expectClose('dw', o.dw.values, conv.dw(o.xv, xShape, o.rv, wShape, p).data);
  expect(counts()).toEqual(before);
}

/** expectConvMatchesReference for tf.conv2d. */
export function expectConv2dMatchesReference(xShape: Shape4, wShape: Shape4, stride: number, pad: Pad, dilation: number, seed: number): Promise<void> {
  return expectConvMatchesReference('conv2d', xShape, wShape, stride, pad, dilation, seed);
}
