import {
  Architecture,
  BatchNorm,
  CandidateSet,
  DataSplits,
  ForwardMode,
  ImageSet,
  MetricContext,
  ParamStore,
  Rng,
  Supernet,
  tf,
} from '@absnas/core';
import { AccuracyMetric, plugin } from '../src';

/**
 * A hand-made "supernet": one batch norm without affine parameters on a 2x2x1
 * image, then logits [mean, -mean]. The class is 0 when the image is brighter
 * than the data's mean, so the model is right on every image exactly when its
 * batch-norm statistics are those of the data.
 */
class BnToy implements Supernet {
  readonly store = new ParamStore(new Rng(0));
  readonly bn = new BatchNorm(this.store, 'bn', 1, false);

  forward(x: tf.Tensor4D, _arch: Architecture, mode: ForwardMode): tf.Tensor2D {
    return tf.tidy(() => {
      const m = tf.mean(this.bn.apply(x, mode), [1, 2]) as tf.Tensor2D; // [n, 1]
      return tf.concat([m, tf.neg(m)], 1) as tf.Tensor2D;
    });
  }
  paramsOf(): string[] {
    return [];
  }
  resetBatchNormStats(): void {
    this.bn.resetStats();
  }
  dispose(): void {
    this.store.dispose();
  }
}

/** Images of brightness 5 +- (1 + u), label 0 when above 5; balanced. */
function set(n: number, rng: Rng): ImageSet {
  const images = new Float32Array(n * 4);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    const v = 5 + (labels[i] === 0 ? 1 : -1) * (1 + rng.next());
    images.fill(v, i * 4, i * 4 + 4);
  }
  return { images, labels, count: n };
}

describe('AccuracyMetric on a hand-made batch-norm case', () => {
  const rng = new Rng(1);
  const data: DataSplits = {
    name: 'toy',
    input: { height: 2, width: 2, channels: 1, numClasses: 2 },
    train: set(256, rng),
    val: set(100, rng),
    test: set(10, rng),
  };
  let supernet: BnToy;
  const arch: Architecture = ['x'];
  const ctx = (): MetricContext =>
    ({ supernet, data, candidates: new CandidateSet([{ id: 'p', candidates: ['x'] }]), rng: new Rng(3) }) as unknown as MetricContext;

  beforeAll(() => {
    supernet = new BnToy();
  });
  afterAll(() => supernet.dispose());

  it('without recalibration uses the running statistics; with it, statistics of the data', async () => {
    // stale running statistics: mean 100, so every image looks dark (class 1)
    tf.tidy(() => supernet.bn.runningMean.assign(tf.tensor1d([100])));
    const plain = await new AccuracyMetric({ recalibrate: false, batchSize: 32 }).prepare(ctx());
    expect(await plain.score(arch)).toBeCloseTo(0.5, 12);
    plain.dispose?.();

    const rebn = await new AccuracyMetric({ recalibrate: true, recalibrationBatches: 4, batchSize: 32 }).prepare(ctx());
    expect(await rebn.score(arch)).toBe(1);
    // the recalibrated mean is the data's (about 5), not the stale 100
    expect(Math.abs(supernet.bn.runningMean.dataSync()[0] - 5)).toBeLessThan(0.2);
    rebn.dispose?.();
    // disposing the scorer restores the statistics it found
    expect(supernet.bn.runningMean.dataSync()[0]).toBe(100);
  });

  it('evaluates only `valImages` validation images, and recalibrates every child on the same batches', async () => {
    const metric = new AccuracyMetric({ recalibrate: true, recalibrationBatches: 2, batchSize: 16, valImages: 10 });
    const scorer = await metric.prepare(ctx());
    await scorer.score(arch);
    const first = supernet.bn.runningMean.dataSync()[0];
    await scorer.score(arch);
    expect(supernet.bn.runningMean.dataSync()[0]).toBe(first);
    // accuracy on 10 images is a multiple of 1/10
    expect(Math.round(((await scorer.score(arch)) as number) * 10) / 10).toBe(await scorer.score(arch));
    scorer.dispose?.();
  });

  it('names the variant and declares its options', () => {
    expect(new AccuracyMetric({ recalibrate: false }).name).toBe('accuracy');
    expect(new AccuracyMetric().name).toBe('accuracy-rebn');
    expect(new AccuracyMetric().options).toEqual({ recalibrate: true, recalibrationBatches: 10, batchSize: 256, valImages: 0 });
    expect(Object.keys((plugin.schema.properties as object) ?? {})).toEqual(['recalibrate', 'recalibrationBatches', 'batchSize', 'valImages']);
  });
});
