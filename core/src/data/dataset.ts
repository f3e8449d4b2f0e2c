import type { InputSpec } from '../space/search-space';

/** Images in NHWC order, already normalised, with integer labels. */
export interface ImageSet {
  images: Float32Array;
  labels: Int32Array;
  count: number;
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
  return { images: set.images.subarray(0, count * size), labels: set.labels.subarray(0, count), count };
}
