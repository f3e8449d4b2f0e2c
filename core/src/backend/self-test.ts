/**
 * Start-up check of the current tfjs backend: a few small convolutions,
 * depthwise convolutions, a max pool and a gather, forward and backward
 * through tfjs's public gradient API, against a plain float64 JS reference.
 * It catches missing or miswired gradient kernels (the wasm fill-ins, the
 * dilated-convolution gradients) in well under a second.
 */
import * as tf from '@tensorflow/tfjs';

export interface SelfTestCheck {
  name: string;
  /** max |backend - reference| */
  maxAbsError: number;
  ok: boolean;
  /** set when the computation threw */
  error?: string;
}

export interface SelfTestResult {
  ok: boolean;
  checks: SelfTestCheck[];
  /** wall time of the whole test, milliseconds */
  ms: number;
}

export interface SelfTestOptions {
  /** a check passes when maxAbsError <= tolerance * max(1, max |reference|); default 1e-3 */
  tolerance?: number;
}

/** Deterministic values in [-1, 1) (a small LCG), so the test is identical on every run. */
function values(n: number, seed: number): Float64Array {
  const v = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 2147483648 - 1;
  }
  return v;
}

interface ConvCase {
  shape: [number, number, number, number]; // x, NHWC
  k: number;
  out: number; // output channels, or channel multiplier when depthwise
  stride: number;
  dilation: number;
  pad: number; // symmetric explicit padding
  depthwise: boolean;
}

interface ConvRef {
  y: Float64Array;
  dx: Float64Array;
  dw: Float64Array;
  yShape: [number, number, number, number];
}

/** Plain float64 NHWC correlation with its input and filter gradients for upstream dy. */
function convReference(c: ConvCase, x: Float64Array, w: Float64Array, dyOf: (n: number) => Float64Array): ConvRef {
  const [n, h, wd, ci] = c.shape;
  const eff = (c.k - 1) * c.dilation + 1;
  const ho = Math.floor((h + 2 * c.pad - eff) / c.stride) + 1;
  const wo = Math.floor((wd + 2 * c.pad - eff) / c.stride) + 1;
  const co = c.depthwise ? ci * c.out : c.out;
  const yShape: [number, number, number, number] = [n, ho, wo, co];
  const y = new Float64Array(n * ho * wo * co);
  const dy = dyOf(y.length);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++)
        for (let i = 0; i < c.k; i++)
          for (let j = 0; j < c.k; j++) {
            const r = oy * c.stride + i * c.dilation - c.pad;
            const q = ox * c.stride + j * c.dilation - c.pad;
            if (r < 0 || r >= h || q < 0 || q >= wd) continue;
            const xo = ((b * h + r) * wd + q) * ci;
            const yo = ((b * ho + oy) * wo + ox) * co;
            for (let a = 0; a < ci; a++) {
              if (c.depthwise) {
                for (let m = 0; m < c.out; m++) {
                  const wi = ((i * c.k + j) * ci + a) * c.out + m;
                  const yi = yo + a * c.out + m;
                  y[yi] += x[xo + a] * w[wi];
                  dx[xo + a] += dy[yi] * w[wi];
                  dw[wi] += x[xo + a] * dy[yi];
                }
              } else {
                for (let o = 0; o < co; o++) {
                  const wi = ((i * c.k + j) * ci + a) * co + o;
                  y[yo + o] += x[xo + a] * w[wi];
                  dx[xo + a] += dy[yo + o] * w[wi];
                  dw[wi] += x[xo + a] * dy[yo + o];
                }
              }
            }
          }
  return { y, dx, dw, yShape };
}

function maxAbsDiff(got: ArrayLike<number>, want: ArrayLike<number>): { err: number; scale: number } {
  if (got.length !== want.length) return { err: Infinity, scale: 1 };
  let err = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    err = Number.isNaN(d) ? Infinity : Math.max(err, d);
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return { err, scale };
}

/** (name, result tensor, float64 reference); the tensors are read asynchronously, then disposed. */
type Compare = [string, tf.Tensor, ArrayLike<number>][];

/**
 * Runs f in a tfjs scope that disposes every tensor it made except the
 * results it lists. The results are read with `await data()` afterwards:
 * synchronous reads are not available on every backend (webgpu in Node).
 */
function scoped(f: () => Compare): Compare {
  let out: Compare = [];
  tf.tidy(() => {
    out = f();
    for (const [, t] of out) tf.keep(t);
  });
  return out;
}

function convCheck(label: string, c: ConvCase, seed: number): Compare {
  const [, , , ci] = c.shape;
  const wShape: [number, number, number, number] = [c.k, c.k, ci, c.out];
  const x = values(c.shape.reduce((a, b) => a * b, 1), seed);
  const w = values(wShape.reduce((a, b) => a * b, 1), seed + 1);
  const ref = convReference(c, x, w, (len) => values(len, seed + 2));
  const r = values(ref.y.length, seed + 2);
  const pad: tf.backend_util.ExplicitPadding = [[0, 0], [c.pad, c.pad], [c.pad, c.pad], [0, 0]];
  return scoped(() => {
    const xt = tf.tensor4d(Float32Array.from(x), c.shape);
    const wt = tf.tensor4d(Float32Array.from(w), wShape);
    const rt = tf.tensor4d(Float32Array.from(r), ref.yShape);
    const f = (a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D =>
      c.depthwise
        ? tf.depthwiseConv2d(a, b, c.stride, pad, 'NHWC', c.dilation)
        : tf.conv2d(a, b, c.stride, pad, 'NHWC', c.dilation);
    const y = f(xt, wt);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor4D), rt)))([xt, wt]);
    return [
      [`${label}.forward`, y, ref.y],
      [`${label}.dx`, dx, ref.dx],
      [`${label}.dw`, dw, ref.dw],
    ] as Compare;
  });
}

function maxPoolCheck(): Compare {
  // 1 x 5 x 5 x 2, 3x3 windows, stride 2, padding 1; channel 1 is all negative
  const shape: [number, number, number, number] = [1, 5, 5, 2];
  const x = values(50, 7);
  for (let p = 0; p < 25; p++) x[p * 2 + 1] = -1.5 - Math.abs(x[p * 2 + 1]);
  const ho = 3;
  const dy = values(ho * ho * 2, 8);
  const dx = new Float64Array(50);
  const y = new Float64Array(ho * ho * 2);
  for (let oy = 0; oy < ho; oy++)
    for (let ox = 0; ox < ho; ox++)
      for (let ch = 0; ch < 2; ch++) {
        let best = -Infinity;
        let arg = -1;
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 3; j++) {
            const r = oy * 2 + i - 1;
            const q = ox * 2 + j - 1;
            if (r < 0 || r >= 5 || q < 0 || q >= 5) continue;
            const idx = (r * 5 + q) * 2 + ch;
            if (x[idx] > best) {
              best = x[idx];
              arg = idx;
            }
          }
        y[(oy * ho + ox) * 2 + ch] = best;
        dx[arg] += dy[(oy * ho + ox) * 2 + ch];
      }
  return scoped(() => {
    const xt = tf.tensor4d(Float32Array.from(x), shape);
    const rt = tf.tensor4d(Float32Array.from(dy), [1, ho, ho, 2]);
    const pool = (a: tf.Tensor): tf.Tensor4D => tf.maxPool(a as tf.Tensor4D, 3, 2, 1);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(pool(a), rt)))(xt);
    return [
      ['maxPool.forward', pool(xt), y],
      ['maxPool.dx', g, dx],
    ] as Compare;
  });
}

function gatherCheck(): Compare {
  const rows = 5;
  const cols = 3;
  const params = values(rows * cols, 11);
  const idx = [4, 0, 2, 2, 4, 1, 2];
  const dy = values(idx.length * cols, 12);
  const dp = new Float64Array(rows * cols);
  idx.forEach((k, p) => {
    for (let e = 0; e < cols; e++) dp[k * cols + e] += dy[p * cols + e];
  });
  return scoped(() => {
    const pt = tf.tensor2d(Float32Array.from(params), [rows, cols]);
    const it = tf.tensor1d(idx, 'int32');
    const rt = tf.tensor2d(Float32Array.from(dy), [idx.length, cols]);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.gather(a, it), rt)))(pt);
    return [['gather.dx', g, dp]] as Compare;
  });
}

/** Runs the checks on the current backend (tf.getBackend()). Never throws for a failed check. */
export async function backendSelfTest(options: SelfTestOptions = {}): Promise<SelfTestResult> {
  const tolerance = options.tolerance ?? 1e-3;
  const start = Date.now();
  await tf.ready();
  const checks: SelfTestCheck[] = [];
  const groups: [string, () => Compare][] = [
    ['conv2d', () => convCheck('conv2d', { shape: [2, 6, 6, 3], k: 3, out: 4, stride: 1, dilation: 1, pad: 1, depthwise: false }, 1)],
    ['conv2d.s2', () => convCheck('conv2d.s2', { shape: [2, 7, 7, 3], k: 3, out: 2, stride: 2, dilation: 1, pad: 1, depthwise: false }, 21)],
    ['conv2d.d2', () => convCheck('conv2d.d2', { shape: [1, 7, 7, 2], k: 3, out: 3, stride: 1, dilation: 2, pad: 2, depthwise: false }, 31)],
    ['depthwise.s2', () => convCheck('depthwise.s2', { shape: [2, 7, 7, 3], k: 3, out: 1, stride: 2, dilation: 1, pad: 1, depthwise: true }, 41)],
    ['depthwise.d2', () => convCheck('depthwise.d2', { shape: [1, 7, 7, 3], k: 3, out: 2, stride: 1, dilation: 2, pad: 2, depthwise: true }, 51)],
    ['maxPool', maxPoolCheck],
    ['gather', gatherCheck],
  ];
  for (const [group, run] of groups) {
    let results: Compare = [];
    try {
      results = run();
      for (const [name, t, want] of results) {
        const { err, scale } = maxAbsDiff(await t.data(), want);
        checks.push({ name, maxAbsError: err, ok: err <= tolerance * Math.max(1, scale) });
      }
    } catch (e) {
      checks.push({ name: group, maxAbsError: Infinity, ok: false, error: e instanceof Error ? e.message : String(e) });
    } finally {
      tf.dispose(results.map(([, t]) => t));
    }
  }
  return { ok: checks.every((c) => c.ok), checks, ms: Date.now() - start };
}

/** One line per failed check, for logs and warnings. */
export function describeSelfTestFailures(result: SelfTestResult): string[] {
  return result.checks
    .filter((c) => !c.ok)
    .map((c) => (c.error ? `${c.name}: ${c.error}` : `${c.name}: max abs error ${c.maxAbsError.toExponential(2)}`));
}
