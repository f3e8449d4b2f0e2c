import * as tf from '@tensorflow/tfjs';
import { batches } from '../data/batches';
import type { DataSplits, ImageSet } from '../data/dataset';
import type { Architecture, InputSpec, Supernet } from '../space/search-space';
import type { Rng } from '../util/rng';

/** Number of rows whose arg-max matches the one-hot target's (a scalar tensor). */
export function correctCount(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(oneHot, 1)), 'float32')) as tf.Scalar);
}

export interface ChildEvalOptions {
  /** Recalibrate batch norm on this many training batches first (0 = keep running stats). */
  recalibrationBatches: number;
  batchSize: number;
}

/**
 * BN recalibration ("ReBN"): forget the running statistics and recompute them
 * for this child on training images, so that inherited weights are judged
 * with statistics of the child's own activations.
 */
export function recalibrateBatchNorm(
  supernet: Supernet,
  arch: Architecture,
  data: DataSplits,
  numBatches: number,
  batchSize: number,
  rng: Rng,
): void {
  supernet.resetBatchNormStats();
  for (const batch of batches(data.train, data.input, batchSize, { rng, dropLast: true, limit: numBatches })) {
    tf.tidy(() => {
      supernet.forward(batch.x, arch, 'recalibrate');
    });
    batch.x.dispose();
    batch.y.dispose();
  }
}

/** How many images of `set` (in order, in batches) `logitsOf` classifies right: a scalar on the device, the caller's. */
function correctTensor(set: ImageSet, input: InputSpec, batchSize: number, logitsOf: (x: tf.Tensor4D) => tf.Tensor2D): tf.Scalar {
  let correct: tf.Scalar = tf.scalar(0);
  for (const batch of batches(set, input, batchSize, {})) {
    const next = tf.tidy(() => tf.add(correct, correctCount(logitsOf(batch.x), batch.y)) as tf.Scalar);
    correct.dispose();
    correct = next;
    batch.x.dispose();
    batch.y.dispose();
  }
  return correct;
}

/**
 * How many images of `set` `logitsOf` classifies right: counted on the
 * device and read once, asynchronously (webgpu in Node reads no other way).
 */
export async function countCorrect(
  set: ImageSet,
  input: InputSpec,
  batchSize: number,
  logitsOf: (x: tf.Tensor4D) => tf.Tensor2D,
): Promise<number> {
  const correct = correctTensor(set, input, batchSize, logitsOf);
  try {
    return (await correct.data())[0];
  } finally {
    correct.dispose();
  }
}

/**
 * Top-1 accuracy in [0, 1] of a child with the supernet's current weights
 * and statistics (counted on the device, read once, asynchronously).
 */
export async function childAccuracy(supernet: Supernet, arch: Architecture, set: ImageSet, data: DataSplits, batchSize: number): Promise<number> {
  const correct = await countCorrect(set, data.input, batchSize, (x) => supernet.forward(x, arch, 'eval'));
  return correct / Math.max(set.count, 1);
}

/** Accuracy of a child after (optional) BN recalibration: the searchers' common yardstick (read asynchronously). */
export async function evaluateChild(
  supernet: Supernet,
  arch: Architecture,
  data: DataSplits,
  set: ImageSet,
  options: ChildEvalOptions,
  rng: Rng,
): Promise<number> {
  if (options.recalibrationBatches > 0) {
    recalibrateBatchNorm(supernet, arch, data, options.recalibrationBatches, options.batchSize, rng);
  }
  return childAccuracy(supernet, arch, set, data, options.batchSize);
}
