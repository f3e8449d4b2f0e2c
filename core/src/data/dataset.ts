import type { InputSpec } from '../space/search-space';
import type { Rng } from '../util/rng';

/** Images in NHWC order, already normalised, with integer labels. */
export interface ImageSet {
  /** Every image of the set; empty when `stream` decodes them on demand. */
  images: Float32Array;
  labels: Int32Array;
  count: number;
  /**
   * Present when the images are too many to hold: `batches` then asks the
   * stream for each batch (a few batches ahead) instead of reading `images`.
   */
  stream?: ImageStream;
}

/**
 * The images of a set decoded on demand (the streaming image-folder reader).
 * `request` starts decoding in the background and returns at once; `take`
 * blocks until the images are there. A set with random crops draws them from
 * `crops` before `request` returns, so equal generators give equal images.
 */
export interface ImageStream {
  /** Batches that `batches` keeps decoding ahead of the one in use. */
  readonly prefetch: number;
  /** Seeds the crops of a pass that has no generator of its own (an in-order pass). */
  readonly seed: number;
  /** Start decoding the images at these positions of the set. */
  request(positions: Int32Array, crops: Rng): PendingImages;
}

export interface PendingImages {
  /** Wait for the images: normalised float32, NHWC, in the order requested. */
  take(): Float32Array;
  /** Not needed any more (a pass left early): drop it. */
  cancel(): void;
}

/** A dataset split three ways, as every run uses it. */
export interface DataSplits {
  name: string;
  input: InputSpec;
  train: ImageSet;
  val: ImageSet;
  test: ImageSet;
}

export function imageSize(input: InputSpec): number {
  return input.height * input.width * input.channels;
}

/** The first `n` images of a set (a view, no copy). */
export function takeImages(set: ImageSet, n: number, input: InputSpec): ImageSet {
  const count = Math.min(n, set.count);
  const size = imageSize(input);
  // a stream is read by position, so its first `count` positions are the subset
  if (set.stream) return { images: set.images, labels: set.labels.subarray(0, count), count, stream: set.stream };
  return { images: set.images.subarray(0, count * size), labels: set.labels.subarray(0, count), count };
}
