import * as tf from '@tensorflow/tfjs';
import type { InputSpec } from '../space/search-space';
import { DataError } from '../util/errors';
import { Rng } from '../util/rng';
import { type ImageSet, type ImageStream, type PendingImages, imageSize } from './dataset';

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

/** Positions 0..count-1, Fisher-Yates shuffled when a generator is given. */
function passOrder(count: number, rng: Rng | undefined): Int32Array {
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  if (rng) {
    for (let i = count - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }
  return order;
}

/**
 * Mini-batches over `set`: shuffled when `opts.rng` is given (every image
 * exactly once per pass), in order otherwise (evaluation). Images are copied
 * into each batch's own array, so augmentation never touches the set. A set
 * with a `stream` is decoded batch by batch, a few batches ahead.
 */
export function* batches(
  set: ImageSet,
  input: InputSpec,
  batchSize: number,
  opts: BatchOptions = {},
): Generator<Batch, void, undefined> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be an integer >= 1, got ${batchSize}`);
  if (opts.augment && !opts.rng) throw new Error('batches: augment needs an rng');
  if (set.stream) {
    yield* streamedBatches(set, set.stream, input, batchSize, opts);
    return;
  }
  const size = imageSize(input);
  const { height: H, width: W } = input;
  if (set.images.length < set.count * size || set.labels.length < set.count) {
    throw new DataError(
      `image set of ${set.count} items has ${set.images.length} values and ${set.labels.length} labels, expected ${set.count * size} and ${set.count} for ${H}x${W}x${input.channels} images`,
    );
  }
  const rng = opts.rng;
  const order = passOrder(set.count, rng);
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

/**
 * `batches` over a streamed set: the same pass order and augmentation draws
 * as an in-memory set, the images requested from the stream `prefetch`
 * batches ahead of the one yielded, so their decoding (in a worker thread)
 * overlaps the caller's work on the current batch. Each batch's crops come
 * from a generator derived from (pass seed, batch index), so a pass resumed
 * at `startBatch` and any prefetch depth give the same images.
 */
function* streamedBatches(
  set: ImageSet,
  stream: ImageStream,
  input: InputSpec,
  batchSize: number,
  opts: BatchOptions,
): Generator<Batch, void, undefined> {
  const size = imageSize(input);
  const { height: H, width: W, channels: C } = input;
  if (set.labels.length < set.count) {
    throw new DataError(`streamed image set of ${set.count} items has only ${set.labels.length} labels`);
  }
  const rng = opts.rng;
  const order = passOrder(set.count, rng);
  const cropSeed = rng ? rng.nextUint32() : stream.seed;
  const total = countBatches(set.count, batchSize, opts);
  const first = Math.max(0, opts.startBatch ?? 0);
  const pad = opts.padding ?? 4;
  const countOf = (b: number): number => Math.min(batchSize, set.count - b * batchSize);
  // the augmentation draws of the skipped batches, as the in-memory path replays them
  if (opts.augment) for (let b = 0; b < Math.min(first, total); b++) for (let k = 0; k < 3 * countOf(b); k++) rng!.nextUint32();
  const pending = new Map<number, PendingImages>();
  try {
    for (let b = first; b < total; b++) {
      // keep the next `prefetch` batches in flight; requests go out in batch order
      for (let a = b; a <= Math.min(total - 1, b + Math.max(0, stream.prefetch)); a++) {
        if (!pending.has(a)) {
          const positions = order.slice(a * batchSize, a * batchSize + countOf(a));
          pending.set(a, stream.request(positions, Rng.derive(cropSeed, 'crop', a)));
        }
      }
      const n = countOf(b);
      const job = pending.get(b) as PendingImages;
      pending.delete(b);
      const decoded = job.take();
      if (decoded.length !== n * size) {
        throw new DataError(`a streamed batch has ${decoded.length} values, expected ${n * size} for ${n} images of ${H}x${W}x${C}`);
      }
      const labels = new Int32Array(n);
      for (let k = 0; k < n; k++) labels[k] = set.labels[order[b * batchSize + k]];
      let images = decoded;
      if (opts.augment) {
        images = new Float32Array(n * size);
        for (let k = 0; k < n; k++) {
          const dy = rng!.int(2 * pad + 1) - pad;
          const dx = rng!.int(2 * pad + 1) - pad;
          const flip = rng!.next() < 0.5;
          cropFlip(decoded, k * size, images, k * size, input, dy, dx, flip);
        }
      }
      yield {
        x: tf.tensor4d(images, [n, H, W, C], 'float32'),
        y: tf.tensor2d(oneHot(labels, input.numClasses), [n, input.numClasses], 'float32'),
        labels,
        size: n,
      };
    }
  } finally {
    // a pass left early (break, error, limit of the caller) stops what it asked for
    for (const job of pending.values()) job.cancel();
  }
}
