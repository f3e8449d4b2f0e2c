import * as tf from '@tensorflow/tfjs';
import { batches } from '../data/batches';
import type { DataSplits, ImageSet } from '../data/dataset';
import type { Architecture, Supernet } from '../space/search-space';
import type { Rng } from '../util/rng';
import { correctCount } from '../train/loss';

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

/** Top-1 accuracy in [0, 1] of a child with the supernet's current weights and statistics. */
export function childAccuracy(supernet: Supernet, arch: Architecture, set: ImageSet, data: DataSplits, batchSize: number): number {
  let correct: tf.Tensor = tf.scalar(0);
  for (const batch of batches(set, data.input, batchSize, {})) {
    const next = tf.tidy(() => tf.add(correct, correctCount(supernet.forward(batch.x, arch, 'eval'), batch.y)));
    correct.dispose();
    correct = next;
    batch.x.dispose();
    batch.y.dispose();
  }
  const value = correct.dataSync()[0];
  correct.dispose();
  return value / Math.max(set.count, 1);
}

/** Accuracy of a child after (optional) BN recalibration: the searchers' common yardstick. */
export function evaluateChild(
  supernet: Supernet,
  arch: Architecture,
  data: DataSplits,
  set: ImageSet,
  options: ChildEvalOptions,
  rng: Rng,
): number {
  if (options.recalibrationBatches > 0) {
    recalibrateBatchNorm(supernet, arch, data, options.recalibrationBatches, options.batchSize, rng);
  }
  return childAccuracy(supernet, arch, set, data, options.batchSize);
}
