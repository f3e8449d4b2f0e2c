import * as tf from '@tensorflow/tfjs';
import type { InputSpec } from '../space/search-space';
import { DataError } from '../util/errors';
import type { Rng } from '../util/rng';
import { type ImageSet, imageSize } from './dataset';

/** One mini-batch. The caller disposes `x` and `y`. */
export interface Batch {
  /** Images, NHWC. */
  x: tf.Tensor4D;
  /** One-hot labels, float32 [size, numClasses]. */
  y: tf.Tensor2D;
  labels: Int32Array;
  size: number;
}

export interface BatchOptions {
  /** Shuffle the order with this generator (and draw the augmentation from it); in order if absent. */
  rng?: Rng;
  /** Random crop with zero padding and random horizontal flip (needs `rng`). */
  augment?: boolean;
  /** Zero padding of the random crop (default 4). */
  padding?: number;
  /** Leave out a last batch smaller than `batchSize`. */
  dropLast?: boolean;
  /** At most this many batches. */
  limit?: number;
  /**
   * Resume a pass part-way: start at this batch, with the generator in the
   * state it would have after the batches before it (their augmentation
   * draws are replayed, nothing is built).
   */
  startBatch?: number;
}

/** How many batches `batches` yields for a set of `count` images. */
export function countBatches(count: number, batchSize: number, opts: Pick<BatchOptions, 'dropLast' | 'limit'> = {}): number {
  const n = opts.dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
  return opts.limit !== undefined ? Math.min(n, Math.max(0, opts.limit)) : n;
}

/** Float32 one-hot rows, built in JS. */
export function oneHot(labels: ArrayLike<number>, numClasses: number): Float32Array {
  const out = new Float32Array(labels.length * numClasses);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!(Number.isInteger(l) && l >= 0 && l < numClasses)) {
      throw new DataError(`label ${l} of item ${i} is outside 0..${numClasses - 1}`);
    }
    out[i * numClasses + l] = 1;
  }
  return out;
}

/**
 * Shift an image by (dy, dx) with zero fill, i.e. crop the zero-padded image
 * at offset (pad + dy, pad + dx), then mirror it horizontally if `flip`.
 * Reads `src[srcOffset ..]`, writes `dst[dstOffset ..]`; NHWC, one image.
 */
export function cropFlip(
  src: Float32Array,
  srcOffset: number,
  dst: Float32Array,
  dstOffset: number,
  input: Pick<InputSpec, 'height' | 'width' | 'channels'>,
  dy: number,
  dx: number,
  flip: boolean,
): void {
  const { height: H, width: W, channels: C } = input;
  for (let y = 0; y < H; y++) {
    const sy = y + dy;
    const rowOut = dstOffset + y * W * C;
    if (sy < 0 || sy >= H) {
      dst.fill(0, rowOut, rowOut + W * C);
      continue;
    }
    const rowIn = srcOffset + sy * W * C;
    for (let x = 0; x < W; x++) {
      const sx = (flip ? W - 1 - x : x) + dx;
      const o = rowOut + x * C;
      if (sx < 0 || sx >= W) {
        for (let c = 0; c < C; c++) dst[o + c] = 0;
      } else {
        const i = rowIn + sx * C;
        for (let c = 0; c < C; c++) dst[o + c] = src[i + c];
      }
    }
  }
}

/**
 * Mini-batches over `set`: shuffled when `opts.rng` is given (every image
 * exactly once per pass), in order otherwise (evaluation). Images are copied
 * into each batch's own array, so augmentation never touches the set.
 */
export function* batches(
  set: ImageSet,
  input: InputSpec,
  batchSize: number,
  opts: BatchOptions = {},
): Generator<Batch, void, undefined> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be an integer >= 1, got ${batchSize}`);
  if (opts.augment && !opts.rng) throw new Error('batches: augment needs an rng');
  const size = imageSize(input);
  const { height: H, width: W } = input;
  if (set.images.length < set.count * size || set.labels.length < set.count) {
    throw new DataError(
      `image set of ${set.count} items has ${set.images.length} values and ${set.labels.length} labels, expected ${set.count * size} and ${set.count} for ${H}x${W}x${input.channels} images`,
    );
  }
  const rng = opts.rng;
  const order = new Int32Array(set.count);
  for (let i = 0; i < set.count; i++) order[i] = i;
  if (rng) {
    for (let i = set.count - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }
  const total = countBatches(set.count, batchSize, opts);
  const pad = opts.padding ?? 4;
  for (let b = 0; b < total; b++) {
    const start = b * batchSize;
    const n = Math.min(batchSize, set.count - start);
    if (b < (opts.startBatch ?? 0)) {
      if (opts.augment) for (let k = 0; k < 3 * n; k++) rng!.nextUint32();
      continue;
    }
    const images = new Float32Array(n * size);
    const labels = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const src = order[start + k];
      labels[k] = set.labels[src];
      if (opts.augment) {
        const dy = rng!.int(2 * pad + 1) - pad;
        const dx = rng!.int(2 * pad + 1) - pad;
        const flip = rng!.next() < 0.5;
        cropFlip(set.images, src * size, images, k * size, input, dy, dx, flip);
      } else {
        images.set(set.images.subarray(src * size, (src + 1) * size), k * size);
      }
    }
    const y = oneHot(labels, input.numClasses);
    yield {
      x: tf.tensor4d(images, [n, H, W, input.channels], 'float32'),
      y: tf.tensor2d(y, [n, input.numClasses], 'float32'),
      labels,
      size: n,
    };
  }
}
