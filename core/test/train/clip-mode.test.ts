import * as tf from '@tensorflow/tfjs';
import { validateCoreConfig } from '../../src/config/validate';
import type { TrainConfig } from '../../src/config/types';
import { loadSynthetic } from '../../src/data/synthetic';
import { Linear } from '../../src/nn/layers';
import { ParamStore } from '../../src/nn/params';
import { standaloneServices } from '../../src/services/run-services';
import type { Supernet } from '../../src/space/search-space';
import { clipByValue } from '../../src/train/sgd';
import { SupernetTrainer } from '../../src/train/trainer';
import { ConfigError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';

/** A linear classifier on the flattened image, its input scaled by 100 so that its gradients are large. */
class LinearSupernet implements Supernet {
  readonly store = new ParamStore(new Rng(2));
  readonly fc: Linear;
  constructor(private readonly features: number, classes: number) {
    this.fc = new Linear(this.store, 'fc', features, classes);
  }
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return this.fc.apply(tf.mul(tf.reshape(x, [x.shape[0], this.features]), 100) as tf.Tensor2D);
  }
  paramsOf(): string[] {
    return ['fc.weight', 'fc.bias'];
  }
  resetBatchNormStats(): void {}
  dispose(): void {
    this.store.dispose();
  }
}

/** The change of every parameter after one plain SGD step (lr 1, no momentum, no decay) with the given clipping. */
async function oneStep(mode: 'norm' | 'value', clip: number): Promise<number[]> {
  const data = loadSynthetic({ trainSize: 16, valSize: 8, testSize: 8, rng: new Rng(1) });
  const { height, width, channels, numClasses } = data.input;
  const net = new LinearSupernet(height * width * channels, numClasses);
  const cfg: TrainConfig = {
    batchSize: 16,
    learningRate: 1,
    minLearningRate: 1,
    schedule: 'constant',
    momentum: 0,
    nesterov: false,
    weightDecay: 0,
    gradientClip: clip,
    gradientClipMode: mode,
    stepsPerEpoch: 1,
    augment: false,
    labelSmoothing: 0,
  };
  const before = net.store.snapshot();
  const trainer = new SupernetTrainer(net, { data, train: cfg, rng: new Rng(3), phase: 'search' }, standaloneServices());
  await trainer.train(1, 1, () => [[]]);
  const after = net.store.snapshot();
  trainer.dispose();
  net.dispose();
  return [...before].flatMap(([name, b]) => Array.from(after.get(name) as Float32Array, (v, i) => v - b[i]));
}

describe('gradient clipping mode', () => {
  it('clipByValue clamps every element to [-c, c] and leaves the rest (float64 reference)', () => {
    const rng = new Rng(9);
    const values = Array.from({ length: 200 }, () => rng.normal() * 10);
    const grads: tf.NamedTensorMap = { g: tf.tensor1d(values) };
    clipByValue(grads, 5);
    const got = grads.g.dataSync();
    values.forEach((v, i) => expect(got[i]).toBe(Math.fround(Math.min(5, Math.max(-5, v)))));
    grads.g.dispose();
  });

  it("'value' moves no parameter by more than lr x clip, and many by exactly that; 'norm' bounds the step's norm", async () => {
    const byValue = await oneStep('value', 0.01);
    expect(Math.max(...byValue.map(Math.abs))).toBeLessThanOrEqual(0.01 + 1e-7);
    expect(byValue.filter((d) => Math.abs(Math.abs(d) - 0.01) < 1e-6).length).toBeGreaterThan(byValue.length / 2);
    const byNorm = await oneStep('norm', 0.01);
    expect(Math.hypot(...byNorm)).toBeCloseTo(0.01, 4);
    const unclipped = await oneStep('norm', 0);
    expect(Math.hypot(...unclipped)).toBeGreaterThan(0.1);
  });

  it('is validated by the config schema', () => {
    const minimal = { space: { plugin: '@absnas/space-nb201' } };
    expect(validateCoreConfig({ ...minimal, shrink: { train: { gradientClipMode: 'value' } } }, 'x.json').shrink.train.gradientClipMode).toBe('value');
    expect(validateCoreConfig(minimal, 'x.json').shrink.train.gradientClipMode).toBe('norm');
    expect(() => validateCoreConfig({ ...minimal, shrink: { train: { gradientClipMode: 'elementwise' } } }, 'x.json')).toThrow(ConfigError);
    expect(() => validateCoreConfig({ ...minimal, shrink: { train: { gradientClipMode: 'elementwise' } } }, 'x.json')).toThrow(/gradientClipMode/);
  });
});
