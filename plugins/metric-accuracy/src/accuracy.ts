import {
  Architecture,
  ChildScorer,
  Metric,
  MetricContext,
  Rng,
  childAccuracy,
  recalibrateBatchNorm,
  takeImages,
} from '@absnas/core';

export interface AccuracyMetricOptions {
  /** Recompute the batch-norm statistics for each child before evaluating it ("ReBN"). */
  recalibrate: boolean;
  /** Training batches used to recalibrate. */
  recalibrationBatches: number;
  /** Images per batch, for recalibration and evaluation. */
  batchSize: number;
  /** Validation images evaluated (0 = the whole validation split). */
  valImages: number;
}

export const DEFAULT_ACCURACY_OPTIONS: AccuracyMetricOptions = {
  recalibrate: true,
  recalibrationBatches: 10,
  batchSize: 256,
  valImages: 0,
};

/**
 * A child's top-1 accuracy on validation images with the weights it inherits
 * from the supernet: the usual one-shot yardstick, and ABS's baseline.
 *
 * With `recalibrate`, every child first gets fresh batch-norm statistics from
 * the same training batches (one seed per `prepare`), so children are compared
 * on equal terms. Recalibration overwrites the running statistics of the whole
 * supernet; the scorer puts the statistics it found back when it is disposed,
 * so scoring leaves the supernet as it was. Without `recalibrate`, children use
 * the running statistics accumulated during supernet training (shared by all
 * children), which is what the paper's "accuracy without ReBN" measures.
 */
export class AccuracyMetric implements Metric {
  readonly name: string;
  readonly options: AccuracyMetricOptions;

  constructor(options: Partial<AccuracyMetricOptions> = {}) {
    this.options = { ...DEFAULT_ACCURACY_OPTIONS, ...options };
    this.name = this.options.recalibrate ? 'accuracy-rebn' : 'accuracy';
  }

  async prepare(ctx: MetricContext): Promise<ChildScorer> {
    const { supernet, data } = ctx;
    const o = this.options;
    const val = o.valImages > 0 ? takeImages(data.val, o.valImages, data.input) : data.val;
    if (val.count === 0) throw new Error(`${this.name} metric: the validation split is empty`);
    // one seed per round: every child is recalibrated on the same batches
    const seed = ctx.rng.nextUint32();
    const saved = o.recalibrate ? await supernet.store.readBuffers() : undefined;
    return {
      // async: the correct count is read asynchronously (the only way webgpu in Node reads)
      score: async (arch: Architecture): Promise<number> => {
        if (o.recalibrate) recalibrateBatchNorm(supernet, arch, data, o.recalibrationBatches, o.batchSize, new Rng(seed));
        return childAccuracy(supernet, arch, val, data, o.batchSize);
      },
      dispose: () => {
        if (saved) supernet.store.load(saved, 'buffers');
      },
    };
  }
}
