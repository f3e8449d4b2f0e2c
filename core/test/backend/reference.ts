/**
 * Float64 reference implementations for the backend tests: plain JS loops,
 * NHWC, independent of tfjs (padding and output sizes follow TensorFlow's
 * rules, re-derived here). Convolutions are correlations, as in TensorFlow.
 */

export type Shape4 = [number, number, number, number];
export type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];
export type Pad = 'same' | 'valid' | number | ExplicitPad;

export interface Tensor64 {
  data: Float64Array;
  shape: number[];
}

export interface Geometry {
  outH: number;
  outW: number;
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Seeded uniform values in [lo, hi) (mulberry32). */
export function seeded(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  let a = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = lo + (hi - lo) * u;
  }
  return out;
}

/** Values that float32 holds exactly (so tfjs and the reference see the same inputs). */
export function asF32(v: Float64Array): Float64Array {
  return Float64Array.from(Float32Array.from(v));
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** TensorFlow's output size and padding for one convolution / pooling window geometry. */
export function geometry(
  inH: number,
  inW: number,
  kh: number,
  kw: number,
  stride: [number, number],
  dilation: [number, number],
  pad: Pad,
): Geometry {
  const eh = (kh - 1) * dilation[0] + 1;
  const ew = (kw - 1) * dilation[1] + 1;
  let top: number;
  let bottom: number;
  let left: number;
  let right: number;
  if (pad === 'same') {
    const outH = Math.ceil(inH / stride[0]);
    const outW = Math.ceil(inW / stride[1]);
    const ph = Math.max(0, (outH - 1) * stride[0] + eh - inH);
    const pw = Math.max(0, (outW - 1) * stride[1] + ew - inW);
    top = Math.floor(ph / 2);
    bottom = ph - top;
    left = Math.floor(pw / 2);
    right = pw - left;
    return { outH, outW, top, bottom, left, right };
  }
  if (pad === 'valid') {
    top = bottom = left = right = 0;
  } else if (typeof pad === 'number') {
    top = bottom = left = right = pad;
  } else {
    [top, bottom] = pad[1];
    [left, right] = pad[2];
  }
  const outH = Math.floor((inH + top + bottom - eh) / stride[0]) + 1;
  const outW = Math.floor((inW + left + right - ew) / stride[1]) + 1;
  if (outH < 1 || outW < 1) throw new Error('reference: empty output');
  return { outH, outW, top, bottom, left, right };
}

export interface ConvParams {
  stride: [number, number];
  dilation: [number, number];
  pad: Pad;
}

interface ConvAll {
  y: Float64Array;
  dx: Float64Array;
  dw: Float64Array;
  yShape: Shape4;
}

/**
 * One pass that computes the correlation y and, for upstream gradient dy (or
 * zeros when omitted), the gradients of sum(y * dy) with respect to x and w.
 * depthwise: w is [kh, kw, c, m] and output channel c*m + q uses w[.., c, q].
 */
function convAll(
  x: Float64Array,
  xShape: Shape4,
  w: Float64Array,
  wShape: Shape4,
  p: ConvParams,
  depthwise: boolean,
  dy?: Float64Array,
): ConvAll {
  const [n, h, wd, ci] = xShape;
  const [kh, kw, wci, wlast] = wShape;
  if (wci !== ci) throw new Error('reference: channel mismatch');
  const co = depthwise ? ci * wlast : wlast;
  const g = geometry(h, wd, kh, kw, p.stride, p.dilation, p.pad);
  const yShape: Shape4 = [n, g.outH, g.outW, co];
  const y = new Float64Array(size(yShape));
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const up = dy ?? new Float64Array(y.length);
  if (up.length !== y.length) throw new Error('reference: dy size mismatch');
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++) {
        const yo = ((b * g.outH + oy) * g.outW + ox) * co;
        for (let i = 0; i < kh; i++) {
          const r = oy * p.stride[0] + i * p.dilation[0] - g.top;
          if (r < 0 || r >= h) continue;
          for (let j = 0; j < kw; j++) {
            const c = ox * p.stride[1] + j * p.dilation[1] - g.left;
            if (c < 0 || c >= wd) continue;
            const xo = ((b * h + r) * wd + c) * ci;
            const wo = (i * kw + j) * ci * wlast;
            for (let a = 0; a < ci; a++) {
              const xv = x[xo + a];
              if (depthwise) {
                for (let q = 0; q < wlast; q++) {
                  const wi = wo + a * wlast + q;
                  const yi = yo + a * wlast + q;
                  y[yi] += xv * w[wi];
                  dx[xo + a] += up[yi] * w[wi];
                  dw[wi] += xv * up[yi];
                }
              } else {
                for (let o = 0; o < co; o++) {
                  const wi = wo + a * co + o;
                  y[yo + o] += xv * w[wi];
                  dx[xo + a] += up[yo + o] * w[wi];
                  dw[wi] += xv * up[yo + o];
                }
              }
            }
          }
        }
      }
  return { y, dx, dw, yShape };
}

export function conv2d(x: Float64Array, xShape: Shape4, w: Float64Array, wShape: Shape4, p: ConvParams): Tensor64 {
  const r = convAll(x, xShape, w, wShape, p, false);
  return { data: r.y, shape: r.yShape };
}

export function conv2dBackpropInput(
  dy: Float64Array,
  xShape: Shape4,
  w: Float64Array,
  wShape: Shape4,
  p: ConvParams,
): Tensor64 {
  const r = convAll(new Float64Array(size(xShape)), xShape, w, wShape, p, false, dy);
  return { data: r.dx, shape: xShape };
}

export function conv2dBackpropFilter(
  x: Float64Array,
  xShape: Shape4,
  dy: Float64Array,
  wShape: Shape4,
  p: ConvParams,
): Tensor64 {
  const r = convAll(x, xShape, new Float64Array(size(wShape)), wShape, p, false, dy);
  return { data: r.dw, shape: wShape };
}

export function depthwiseConv2d(x: Float64Array, xShape: Shape4, w: Float64Array, wShape: Shape4, p: ConvParams): Tensor64 {
  const r = convAll(x, xShape, w, wShape, p, true);
  return { data: r.y, shape: r.yShape };
}

export function depthwiseConv2dBackpropInput(
  dy: Float64Array,
  xShape: Shape4,
  w: Float64Array,
  wShape: Shape4,
  p: ConvParams,
): Tensor64 {
  const r = convAll(new Float64Array(size(xShape)), xShape, w, wShape, p, true, dy);
  return { data: r.dx, shape: xShape };
}

export function depthwiseConv2dBackpropFilter(
  x: Float64Array,
  xShape: Shape4,
  dy: Float64Array,
  wShape: Shape4,
  p: ConvParams,
): Tensor64 {
  const r = convAll(x, xShape, new Float64Array(size(wShape)), wShape, p, true, dy);
  return { data: r.dw, shape: wShape };
}

export interface PoolParams {
  filter: [number, number];
  stride: [number, number];
  pad: Pad;
}

/** Visits the real (non-padding) input offsets of every pooling window. */
function forEachWindow(
  xShape: Shape4,
  p: PoolParams,
  visit: (yIndexBase: number, cells: number[]) => void,
): Shape4 {
  const [n, h, w, c] = xShape;
  const g = geometry(h, w, p.filter[0], p.filter[1], p.stride, [1, 1], p.pad);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++) {
        const cells: number[] = [];
        for (let i = 0; i < p.filter[0]; i++) {
          const r = oy * p.stride[0] + i - g.top;
          if (r < 0 || r >= h) continue;
          for (let j = 0; j < p.filter[1]; j++) {
            const q = ox * p.stride[1] + j - g.left;
            if (q < 0 || q >= w) continue;
            cells.push(((b * h + r) * w + q) * c);
          }
        }
        visit(((b * g.outH + oy) * g.outW + ox) * c, cells);
      }
  return [n, g.outH, g.outW, c];
}

/** Max pool; padding cells never win. Ties go to the first cell in row-major window order. */
export function maxPool(x: Float64Array, xShape: Shape4, p: PoolParams): Tensor64 {
  const c = xShape[3];
  const parts: [number, number][] = [];
  const shape = forEachWindow(xShape, p, (yo, cells) => {
    for (let ch = 0; ch < c; ch++) {
      let best = -Infinity;
      for (const o of cells) best = Math.max(best, x[o + ch]);
      parts.push([yo + ch, best]);
    }
  });
  const y = new Float64Array(size(shape));
  for (const [i, v] of parts) y[i] = v;
  return { data: y, shape };
}

export function maxPoolGrad(x: Float64Array, xShape: Shape4, dy: Float64Array, p: PoolParams): Tensor64 {
  const c = xShape[3];
  const dx = new Float64Array(x.length);
  forEachWindow(xShape, p, (yo, cells) => {
    for (let ch = 0; ch < c; ch++) {
      let best = -Infinity;
      let arg = -1;
      for (const o of cells) {
        if (arg < 0 || x[o + ch] > best) {
          best = x[o + ch];
          arg = o + ch;
        }
      }
      if (arg >= 0) dx[arg] += dy[yo + ch];
    }
  });
  return { data: dx, shape: xShape };
}

/** Average pool over the real cells of each window (padding not counted), as TensorFlow does. */
export function avgPool(x: Float64Array, xShape: Shape4, p: PoolParams): Tensor64 {
  const c = xShape[3];
  const parts: [number, number][] = [];
  const shape = forEachWindow(xShape, p, (yo, cells) => {
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (const o of cells) s += x[o + ch];
      parts.push([yo + ch, s / cells.length]);
    }
  });
  const y = new Float64Array(size(shape));
  for (const [i, v] of parts) y[i] = v;
  return { data: y, shape };
}

export function avgPoolGrad(xShape: Shape4, dy: Float64Array, p: PoolParams): Tensor64 {
  const c = xShape[3];
  const dx = new Float64Array(size(xShape));
  forEachWindow(xShape, p, (yo, cells) => {
    for (let ch = 0; ch < c; ch++) {
      for (const o of cells) dx[o + ch] += dy[yo + ch] / cells.length;
    }
  });
  return { data: dx, shape: xShape };
}

/**
 * out[k, ...] = sum of x[p, ...] over the positions p (of segmentIds) with
 * segmentIds[p] == k; ids outside [0, numSegments) are dropped.
 */
export function unsortedSegmentSum(
  x: Float64Array,
  xShape: number[],
  segmentIds: ArrayLike<number>,
  idsShape: number[],
  numSegments: number,
): Tensor64 {
  const inner = size(xShape.slice(idsShape.length));
  const count = size(idsShape);
  const out = new Float64Array(numSegments * inner);
  for (let p = 0; p < count; p++) {
    const k = segmentIds[p];
    if (k < 0 || k >= numSegments) continue;
    for (let e = 0; e < inner; e++) out[k * inner + e] += x[p * inner + e];
  }
  return { data: out, shape: [numSegments, ...xShape.slice(idsShape.length)] };
}

/**
 * Batch norm with batch statistics over N, H, W per channel (NHWC), biased
 * variance, y = (x - mean) / sqrt(var + eps) * gamma + beta (gamma = 1,
 * beta = 0 when not given).
 */
export function batchNorm(
  x: Float64Array,
  xShape: Shape4,
  eps: number,
  gamma?: Float64Array,
  beta?: Float64Array,
): { y: Float64Array; mean: Float64Array; variance: Float64Array } {
  const c = xShape[3];
  const m = x.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let p = 0; p < m; p++) for (let k = 0; k < c; k++) mean[k] += x[p * c + k] / m;
  for (let p = 0; p < m; p++) for (let k = 0; k < c; k++) variance[k] += (x[p * c + k] - mean[k]) ** 2 / m;
  const y = new Float64Array(x.length);
  for (let p = 0; p < m; p++)
    for (let k = 0; k < c; k++) {
      const xhat = (x[p * c + k] - mean[k]) / Math.sqrt(variance[k] + eps);
      y[p * c + k] = xhat * (gamma ? gamma[k] : 1) + (beta ? beta[k] : 0);
    }
  return { y, mean, variance };
}

/** Gradients of sum(batchNorm(x).y * dy) with respect to x, gamma and beta (closed form). */
export function batchNormGrad(
  x: Float64Array,
  xShape: Shape4,
  dy: Float64Array,
  eps: number,
  gamma?: Float64Array,
): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const c = xShape[3];
  const m = x.length / c;
  const { mean, variance } = batchNorm(x, xShape, eps);
  const dgamma = new Float64Array(c);
  const dbeta = new Float64Array(c);
  const xhat = new Float64Array(x.length);
  for (let p = 0; p < m; p++)
    for (let k = 0; k < c; k++) {
      const i = p * c + k;
      xhat[i] = (x[i] - mean[k]) / Math.sqrt(variance[k] + eps);
      dgamma[k] += dy[i] * xhat[i];
      dbeta[k] += dy[i];
    }
  const dx = new Float64Array(x.length);
  for (let p = 0; p < m; p++)
    for (let k = 0; k < c; k++) {
      const i = p * c + k;
      const g = gamma ? gamma[k] : 1;
      dx[i] = (g / Math.sqrt(variance[k] + eps)) * (dy[i] - dbeta[k] / m - (xhat[i] * dgamma[k]) / m);
    }
  return { dx, dgamma, dbeta };
}

/** max |a - b| and max |b| (the scale for a relative tolerance). */
export function compare(got: ArrayLike<number>, want: ArrayLike<number>): { maxAbsError: number; scale: number } {
  if (got.length !== want.length) throw new Error(`compare: length ${got.length} vs ${want.length}`);
  let maxAbsError = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    maxAbsError = Number.isNaN(d) ? Infinity : Math.max(maxAbsError, d);
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return { maxAbsError, scale };
}

/** The tolerance used by the backend tests: max abs error <= 1e-4 * max(1, max |ref|). */
export const RELATIVE_TOLERANCE = 1e-4;

export function withinTolerance(got: ArrayLike<number>, want: ArrayLike<number>, rel = RELATIVE_TOLERANCE): boolean {
  const { maxAbsError, scale } = compare(got, want);
  return maxAbsError <= rel * Math.max(1, scale);
}
