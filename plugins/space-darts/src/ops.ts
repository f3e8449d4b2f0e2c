/**
 * The DARTS operators (operations.py of the DARTS code) as tfjs computations
 * on NHWC maps. `affine` is false in the search supernet (BN without scale
 * and shift, as DARTS's search model) and true in standalone networks.
 */
import { BatchNorm, Conv2d, ForwardMode, ParamStore, relu, tf } from '@absnas/core';
import { CONV_KERNEL, isDilConv, isPool, isSepConv } from './topology';

/** A module of an edge or a cell: what it computes and which parameters it owns. */
export interface Module {
  apply(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D;
  /**
   * For modules that begin with a ReLU: the output from relu(x), so that the
   * operators of one mixed edge share a single ReLU of their input.
   */
  applyRelu?(rx: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D;
  /** Every trainable parameter, in creation order. */
  paramNames(): string[];
  /** The conv weights that enter the angle's weight vector (no BN, no bias). */
  convWeightNames(): string[];
  batchNorms(): BatchNorm[];
}

function bnParams(bn: BatchNorm): string[] {
  return bn.affine ? [`${bn.name}.gamma`, `${bn.name}.beta`] : [];
}

/** ReLU -> Conv(k, stride, padding, no bias) -> BN. */
export class ReluConvBn implements Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm;

  constructor(store: ParamStore, readonly name: string, cin: number, cout: number, kernel: number, stride: number, padding: number, affine: boolean) {
    this.conv = new Conv2d(store, `${name}.conv`, cin, cout, kernel, stride, padding);
    this.bn = new BatchNorm(store, `${name}.bn`, cout, affine);
  }

  apply(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    return this.applyRelu(relu(x), mode);
  }

  applyRelu(rx: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    return this.bn.apply(this.conv.apply(rx), mode);
  }

  paramNames(): string[] {
    return [`${this.name}.conv.weight`, ...bnParams(this.bn)];
  }

  convWeightNames(): string[] {
    return [`${this.name}.conv.weight`];
  }

  batchNorms(): BatchNorm[] {
    return [this.bn];
  }
}

/**
 * ReLU, then two 1x1 stride-2 convs with cout/2 channels each, one on the
 * map and one on the map shifted by one pixel, concatenated, then BN: halves
 * the resolution. Needs an even cout and even map sides.
 */
export class FactorizedReduce implements Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly bn: BatchNorm;

  constructor(store: ParamStore, readonly name: string, cin: number, cout: number, affine: boolean) {
    if (cout % 2 !== 0) throw new Error(`${name}: FactorizedReduce needs an even number of output channels, got ${cout}`);
    this.conv1 = new Conv2d(store, `${name}.conv_1`, cin, cout / 2, 1, 2, 0);
    this.conv2 = new Conv2d(store, `${name}.conv_2`, cin, cout / 2, 1, 2, 0);
    this.bn = new BatchNorm(store, `${name}.bn`, cout, affine);
  }

  apply(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    return this.applyRelu(relu(x), mode);
  }

  applyRelu(r: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    const [, h, w] = r.shape;
    if (h % 2 !== 0 || w % 2 !== 0) throw new Error(`${this.name}: FactorizedReduce needs even map sides, got ${h}x${w}`);
    const shifted = tf.slice(r, [0, 1, 1, 0], [-1, h - 1, w - 1, -1]);
    return this.bn.apply(tf.concat([this.conv1.apply(r), this.conv2.apply(shifted)], 3), mode);
  }

  paramNames(): string[] {
    return [`${this.name}.conv_1.weight`, `${this.name}.conv_2.weight`, ...bnParams(this.bn)];
  }

  convWeightNames(): string[] {
    return [`${this.name}.conv_1.weight`, `${this.name}.conv_2.weight`];
  }

  batchNorms(): BatchNorm[] {
    return [this.bn];
  }
}

/**
 * Keep every `stride`-th row and column starting at 0: a stride-s
 * convolution equals the stride-1 one (same padding) subsampled this way.
 * Built from pad, reshape and slice, which all have gradients in tfjs.
 */
export function subsample(x: tf.Tensor4D, stride: number): tf.Tensor4D {
  if (stride === 1) return x;
  const [b, h, w, c] = x.shape;
  const ho = Math.ceil(h / stride);
  const wo = Math.ceil(w / stride);
  const padded = ho * stride !== h || wo * stride !== w ? tf.pad(x, [[0, 0], [0, ho * stride - h], [0, wo * stride - w], [0, 0]]) : x;
  // rows (b, io), row phase, columns, (column phase, channel): phase 0 is the kept pixel
  const grid = tf.reshape(padded, [b * ho, stride, wo, stride * c]);
  return tf.reshape(tf.slice(grid, [0, 0, 0, 0], [b * ho, 1, wo, c]), [b, ho, wo, c]);
}

/** ReLU -> depthwise k x k (stride) -> 1x1 -> BN -> ReLU -> depthwise k x k -> 1x1 -> BN. */
export class SepConv implements Module {
  readonly dw1: Conv2d;
  readonly pw1: Conv2d;
  readonly bn1: BatchNorm;
  readonly dw2: Conv2d;
  readonly pw2: Conv2d;
  readonly bn2: BatchNorm;

  constructor(store: ParamStore, readonly name: string, c: number, kernel: number, stride: number, affine: boolean) {
    const pad = Math.floor(kernel / 2);
    this.dw1 = new Conv2d(store, `${name}.dw1`, c, c, kernel, stride, pad, 1, true);
    this.pw1 = new Conv2d(store, `${name}.pw1`, c, c, 1, 1, 0);
    this.bn1 = new BatchNorm(store, `${name}.bn1`, c, affine);
    this.dw2 = new Conv2d(store, `${name}.dw2`, c, c, kernel, 1, pad, 1, true);
    this.pw2 = new Conv2d(store, `${name}.pw2`, c, c, 1, 1, 0);
    this.bn2 = new BatchNorm(store, `${name}.bn2`, c, affine);
  }

  apply(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    return this.applyRelu(relu(x), mode);
  }

  applyRelu(rx: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    const h = this.bn1.apply(this.pw1.apply(this.dw1.apply(rx)), mode);
    return this.bn2.apply(this.pw2.apply(this.dw2.apply(relu(h))), mode);
  }

  paramNames(): string[] {
    return [
      `${this.name}.dw1.weight`,
      `${this.name}.pw1.weight`,
      ...bnParams(this.bn1),
      `${this.name}.dw2.weight`,
      `${this.name}.pw2.weight`,
      ...bnParams(this.bn2),
    ];
  }

  convWeightNames(): string[] {
    return [`${this.name}.dw1.weight`, `${this.name}.pw1.weight`, `${this.name}.dw2.weight`, `${this.name}.pw2.weight`];
  }

  batchNorms(): BatchNorm[] {
    return [this.bn1, this.bn2];
  }
}

/**
 * ReLU -> depthwise k x k with dilation 2 (stride) -> 1x1 -> BN. tfjs runs
 * dilated convolutions with stride 1 only, so a stride-2 one is computed at
 * stride 1 and subsampled (same output, 4x the work on that edge).
 */
export class DilConv implements Module {
  readonly dw: Conv2d;
  readonly pw: Conv2d;
  readonly bn: BatchNorm;

  constructor(store: ParamStore, readonly name: string, c: number, kernel: number, readonly stride: number, affine: boolean) {
    const dilation = 2;
    const pad = dilation * Math.floor(kernel / 2);
    this.dw = new Conv2d(store, `${name}.dw`, c, c, kernel, 1, pad, dilation, true);
    this.pw = new Conv2d(store, `${name}.pw`, c, c, 1, 1, 0);
    this.bn = new BatchNorm(store, `${name}.bn`, c, affine);
  }

  apply(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    return this.applyRelu(relu(x), mode);
  }

  applyRelu(rx: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    return this.bn.apply(this.pw.apply(subsample(this.dw.apply(rx), this.stride)), mode);
  }

  paramNames(): string[] {
    return [`${this.name}.dw.weight`, `${this.name}.pw.weight`, ...bnParams(this.bn)];
  }

  convWeightNames(): string[] {
    return [`${this.name}.dw.weight`, `${this.name}.pw.weight`];
  }

  batchNorms(): BatchNorm[] {
    return [this.bn];
  }
}

/** 9 / (number of in-image pixels of each 3x3 window), per output position. */
const poolScaleCache = new Map<string, tf.Tensor4D>();

function poolScale(h: number, w: number, stride: number): tf.Tensor4D {
  const key = `${h}x${w}/${stride}`;
  let t = poolScaleCache.get(key);
  if (!t || t.isDisposed) {
    const span = (o: number, n: number): number => Math.min(o * stride + 1, n - 1) - Math.max(o * stride - 1, 0) + 1;
    const ho = Math.floor((h - 1) / stride) + 1;
    const wo = Math.floor((w - 1) / stride) + 1;
    const s = new Float32Array(ho * wo);
    for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) s[i * wo + j] = 9 / (span(i, h) * span(j, w));
    t = tf.keep(tf.tensor4d(s, [1, ho, wo, 1]));
    poolScaleCache.set(key, t);
  }
  return t;
}

/**
 * 3x3 average pooling, padding 1, padding not counted in the average
 * (PyTorch's count_include_pad=False): pool the zero-padded map with 'valid'
 * windows (a mean over 9) and rescale each position by 9 / (pixels inside),
 * which is exact in both directions on every backend.
 */
export function avgPool3x3(x: tf.Tensor4D, stride: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  const padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  return tf.mul(tf.avgPool(padded, 3, stride, 'valid'), poolScale(h, w, stride));
}

/** 3x3 max pooling, padding 1 (padding never wins the max). */
export function maxPool3x3(x: tf.Tensor4D, stride: number): tf.Tensor4D {
  return tf.maxPool(x, 3, stride, 1);
}

/** Pooling, in the search supernet followed by BN (without affine parameters, as DARTS's MixedOp, unless `affine`). */
export class Pool implements Module {
  readonly bn?: BatchNorm;

  constructor(store: ParamStore, readonly name: string, readonly op: string, c: number, readonly stride: number, withBn: boolean, affine = false) {
    if (withBn) this.bn = new BatchNorm(store, `${name}.bn`, c, affine);
  }

  apply(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    const y = this.op === 'max_pool_3x3' ? maxPool3x3(x, this.stride) : avgPool3x3(x, this.stride);
    return this.bn ? this.bn.apply(y, mode) : y;
  }

  paramNames(): string[] {
    return this.bn ? bnParams(this.bn) : [];
  }

  convWeightNames(): string[] {
    return [];
  }

  batchNorms(): BatchNorm[] {
    return this.bn ? [this.bn] : [];
  }
}

export class Identity implements Module {
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return x;
  }
  paramNames(): string[] {
    return [];
  }
  convWeightNames(): string[] {
    return [];
  }
  batchNorms(): BatchNorm[] {
    return [];
  }
}

/**
 * The module of operator `op` on an edge of `c` channels and `stride`, or
 * null for `none`. `search`: BN without affine parameters, and BN after
 * pooling (the search supernet); otherwise the standalone network's ops.
 */
export function createOp(store: ParamStore, name: string, op: string, c: number, stride: number, search: boolean, affine = !search): Module | null {
  if (op === 'none') return null;
  if (op === 'skip_connect') return stride === 1 ? new Identity() : new FactorizedReduce(store, name, c, c, affine);
  if (isPool(op)) return new Pool(store, name, op, c, stride, search, affine);
  if (isSepConv(op)) return new SepConv(store, name, c, CONV_KERNEL[op], stride, affine);
  if (isDilConv(op)) return new DilConv(store, name, c, CONV_KERNEL[op], stride, affine);
  throw new Error(`unknown DARTS operator '${op}'`);
}

/** Apply dropout with a mask drawn from `seed` (kept with probability 1 - rate, scaled by 1 / (1 - rate)). */
export function dropout(x: tf.Tensor4D, rate: number, seed: number): tf.Tensor4D {
  if (!(rate > 0)) return x;
  if (rate >= 1) return tf.zerosLike(x);
  const mask = tf.cast(tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', seed), rate), 'float32');
  return tf.mul(x, tf.div(mask, 1 - rate));
}

/** Drop whole samples of a branch with probability `p` (DARTS's drop_path), from uniforms `u` (one per sample). */
export function dropPath(x: tf.Tensor4D, p: number, u: Float32Array): tf.Tensor4D {
  if (!(p > 0)) return x;
  const keep = 1 - p;
  const m = new Float32Array(u.length);
  for (let i = 0; i < u.length; i++) m[i] = u[i] < keep ? 1 / keep : 0;
  return tf.mul(x, tf.tensor4d(m, [u.length, 1, 1, 1]));
}
