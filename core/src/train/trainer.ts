import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/types';
import { batches } from '../data/batches';
import type { DataSplits } from '../data/dataset';
import type { HookBus, Phase } from '../hooks/hooks';
import type { Architecture, Mixture, Supernet } from '../space/search-space';
import type { Progress } from '../util/progress';
import type { Rng } from '../util/rng';
import { correctCount, crossEntropy } from './loss';
import { learningRateAt } from './schedule';
import { clipGlobalNorm, Sgd } from './sgd';

/**
 * A mixture path for one step: `weights` is called inside the gradient tape,
 * so weights computed from architecture variables receive gradients.
 */
export interface MixturePath {
  ops: readonly (readonly string[])[];
  weights(): tf.Tensor1D[];
}

export type StepPath = Architecture | MixturePath;

/**
 * The paths one training step runs. Single-path searchers return one child;
 * FairNAS returns one child per candidate (all gradients accumulated before
 * the single optimizer step); joint weight/architecture training returns mixtures.
 */
export type StepSampler = (rng: Rng) => StepPath[];

/**
 * Something trained by the same loss as the supernet weights, such as the
 * architecture weights of the magnitude metric: its variables' gradients
 * (summed over the step's paths) are handed to `update` after each step.
 */
export interface TrainingParticipant {
  variables(): tf.Variable[];
  update(grads: ReadonlyMap<tf.Variable, tf.Tensor>): void;
}

export interface EpochStats {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  learningRate: number;
  seconds: number;
  steps: number;
}

/**
 * The one supernet trainer of absnas: epochs of SGD over sampled paths, a
 * learning-rate schedule over a stated horizon, progress and the onEpochEnd hook.
 */
export class SupernetTrainer {
  readonly sgd: Sgd;
  /** Epochs completed so far in this phase. */
  epochsDone = 0;

  constructor(
    private readonly supernet: Supernet,
    private readonly data: DataSplits,
    readonly cfg: TrainConfig,
    private readonly rng: Rng,
    private readonly hooks: HookBus,
    private readonly progress: Progress,
    readonly phase: Phase,
  ) {
    this.sgd = new Sgd({ momentum: cfg.momentum, nesterov: cfg.nesterov, weightDecay: cfg.weightDecay });
  }

  /** Steps in one epoch. */
  stepsPerEpoch(): number {
    const full = Math.floor(this.data.train.count / this.cfg.batchSize);
    return this.cfg.stepsPerEpoch > 0 ? Math.min(this.cfg.stepsPerEpoch, full) : full;
  }

  /**
   * Train `epochs` more epochs. The learning rate follows the schedule over
   * `horizonEpochs` epochs counted from the start of the phase. Returns early
   * when a hook asks to stop.
   */
  async train(
    epochs: number,
    horizonEpochs: number,
    sample: StepSampler,
    participant?: TrainingParticipant,
  ): Promise<{ stats: EpochStats[]; stopped: boolean }> {
    const stats: EpochStats[] = [];
    for (let e = 0; e < epochs; e++) {
      const s = this.trainEpoch(horizonEpochs, sample, participant);
      stats.push(s);
      this.epochsDone++;
      const control = await this.hooks.series('onEpochEnd', {
        phase: this.phase,
        epoch: this.epochsDone,
        epochs: horizonEpochs,
        loss: s.loss,
        trainAccuracy: s.trainAccuracy,
        learningRate: s.learningRate,
        seconds: s.seconds,
      });
      if (control.stop) return { stats, stopped: true };
    }
    return { stats, stopped: false };
  }

  private trainEpoch(horizonEpochs: number, sample: StepSampler, participant?: TrainingParticipant): EpochStats {
    const began = Date.now();
    const steps = this.stepsPerEpoch();
    if (steps < 1) {
      throw new Error(`training split has ${this.data.train.count} images, fewer than one batch of ${this.cfg.batchSize}`);
    }
    const lr = learningRateAt(this.cfg, this.epochsDone / Math.max(horizonEpochs, 1));
    const task = this.progress.start(`${this.phase} epoch ${this.epochsDone + 1}/${horizonEpochs}`, steps);
    let lossSum: tf.Tensor = tf.scalar(0);
    let correctSum: tf.Tensor = tf.scalar(0);
    let seen = 0;
    const params = this.supernet.store.params;
    for (const batch of batches(this.data.train, this.data.input, this.cfg.batchSize, {
      rng: this.rng,
      augment: this.cfg.augment,
      dropLast: true,
      limit: steps,
    })) {
      const paths = sample(this.rng);
      const grads: tf.NamedTensorMap = {};
      const extraVars = participant?.variables() ?? [];
      const extraGrads = new Map<tf.Variable, tf.Tensor>();
      for (const path of paths) {
        const names = isMixture(path) ? this.mixtureParams(path) : this.supernet.paramsOf(path);
        const vars = names.map((n) => params.get(n) as tf.Variable);
        // tfjs keys gradients by its (prefixed) variable name; map back to parameter names
        const nameOfVar = new Map(vars.map((v, i) => [v.name, names[i]]));
        const extraOfVar = new Map(extraVars.map((v) => [v.name, v]));
        let logits: tf.Tensor2D | undefined;
        const { value, grads: g } = tf.variableGrads(() => {
          logits = tf.keep(
            isMixture(path)
              ? this.forwardMixture(batch.x, { ops: path.ops, weights: path.weights() })
              : this.supernet.forward(batch.x, path, 'train'),
          );
          return crossEntropy(logits, batch.y);
        }, [...vars, ...extraVars]);
        for (const [tfName, t] of Object.entries(g)) {
          const extra = extraOfVar.get(tfName);
          if (extra) {
            const prev = extraGrads.get(extra);
            extraGrads.set(extra, prev ? accumulate(prev, t) : t);
            continue;
          }
          const name = nameOfVar.get(tfName) as string;
          const prev = grads[name];
          grads[name] = prev ? accumulate(prev, t) : t;
        }
        const nextLoss = tf.add(lossSum, value);
        const nextCorrect = tf.tidy(() => tf.add(correctSum, correctCount(logits as tf.Tensor2D, batch.y)));
        lossSum.dispose();
        correctSum.dispose();
        value.dispose();
        (logits as tf.Tensor2D | undefined)?.dispose();
        lossSum = nextLoss;
        correctSum = nextCorrect;
        seen += batch.size;
      }
      clipGlobalNorm(grads, this.cfg.gradientClip);
      this.sgd.step(params, grads, lr);
      for (const t of Object.values(grads)) t.dispose();
      if (participant) {
        participant.update(extraGrads);
        for (const t of extraGrads.values()) t.dispose();
      }
      batch.x.dispose();
      batch.y.dispose();
      task.tick();
    }
    const loss = (lossSum.dataSync()[0] * this.cfg.batchSize) / Math.max(seen, 1);
    const trainAccuracy = correctSum.dataSync()[0] / Math.max(seen, 1);
    lossSum.dispose();
    correctSum.dispose();
    const seconds = (Date.now() - began) / 1000;
    task.done(`loss ${loss.toFixed(3)} acc ${(100 * trainAccuracy).toFixed(1)}% lr ${lr.toPrecision(3)}`);
    return { epoch: this.epochsDone + 1, loss, trainAccuracy, learningRate: lr, seconds, steps };
  }

  private mixtureParams(path: MixturePath): string[] {
    if (!this.supernet.paramsOfMixture) throw new Error('this search space does not support mixtures of candidates');
    return this.supernet.paramsOfMixture(path.ops);
  }

  private forwardMixture(x: tf.Tensor4D, mixture: Mixture): tf.Tensor2D {
    if (!this.supernet.forwardMixture) throw new Error('this search space does not support mixtures of candidates');
    return this.supernet.forwardMixture(x, mixture, 'train');
  }

  dispose(): void {
    this.sgd.dispose();
  }
}

function isMixture(path: StepPath): path is MixturePath {
  return !Array.isArray(path);
}

/** prev + t, disposing both inputs. */
function accumulate(prev: tf.Tensor, t: tf.Tensor): tf.Tensor {
  const sum = tf.add(prev, t);
  prev.dispose();
  t.dispose();
  return sum;
}
