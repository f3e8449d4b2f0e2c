import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/types';
import { batches } from '../data/batches';
import type { DataSplits } from '../data/dataset';
import type { HookBus, Phase } from '../hooks/hooks';
import type { Architecture, Mixture, Supernet } from '../space/search-space';
import type { Progress } from '../util/progress';
import { Rng } from '../util/rng';
import { correctCount, crossEntropy } from './loss';
import { learningRateAt } from './schedule';
import { clipGlobalNorm, Sgd, weightDecayFilter } from './sgd';
import type { Checkpointable, CheckpointSink } from '../checkpoint/checkpointer';
import { Interruption, NumericalError, RunInterrupted } from '../checkpoint/interrupt';

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

/** Checkpoints and stop requests for a trainer; both optional (tests, scratch training). */
export interface TrainerControl {
  checkpoints?: CheckpointSink;
  /** Key under which the trainer registers its state (default `<phase>/trainer`). */
  key?: string;
  interruption?: Interruption;
}

interface TrainerState {
  epochsDone: number;
  stepInEpoch: number;
  lossSum: number;
  correctSum: number;
  seen: number;
  seed: number;
}

/**
 * The one supernet trainer of absnas: epochs of SGD over sampled paths, a
 * learning-rate schedule over a stated horizon, progress and the onEpochEnd
 * hook. Randomness is counter-based (data order from (seed, epoch), paths
 * from (seed, epoch, step)), so a run resumes exactly at any step; its state
 * and the supernet's are checkpointed at every epoch end and on interruption.
 */
export class SupernetTrainer implements Checkpointable {
  readonly sgd: Sgd;
  /** Epochs completed so far in this phase. */
  epochsDone = 0;
  /** Steps already done in the current (unfinished) epoch. */
  private stepInEpoch = 0;
  private lossSum = 0;
  private correctSum = 0;
  private seen = 0;
  private seed: number;
  private readonly key: string;

  constructor(
    private readonly supernet: Supernet,
    private readonly data: DataSplits,
    readonly cfg: TrainConfig,
    rng: Rng,
    private readonly hooks: HookBus,
    private readonly progress: Progress,
    readonly phase: Phase,
    private readonly control: TrainerControl = {},
  ) {
    this.sgd = new Sgd({
      momentum: cfg.momentum,
      nesterov: cfg.nesterov,
      weightDecay: cfg.weightDecay,
      decays: weightDecayFilter(cfg.weightDecayScope, supernet.store),
    });
    this.seed = rng.nextUint32();
    this.key = control.key ?? `${phase}/trainer`;
    control.checkpoints?.register(this.key, this);
  }

  /** Steps in one epoch. */
  stepsPerEpoch(): number {
    const full = Math.floor(this.data.train.count / this.cfg.batchSize);
    return this.cfg.stepsPerEpoch > 0 ? Math.min(this.cfg.stepsPerEpoch, full) : full;
  }

  /**
   * Train `epochs` more epochs (finishing a resumed, partly done epoch first
   * counts as one of them). The learning rate follows the schedule over
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
      const s = await this.trainEpoch(horizonEpochs, sample, participant);
      stats.push(s);
      this.epochsDone++;
      this.stepInEpoch = 0;
      this.lossSum = this.correctSum = this.seen = 0;
      const control = await this.hooks.series('onEpochEnd', {
        phase: this.phase,
        epoch: this.epochsDone,
        epochs: horizonEpochs,
        loss: s.loss,
        trainAccuracy: s.trainAccuracy,
        learningRate: s.learningRate,
        seconds: s.seconds,
      });
      this.control.checkpoints?.save(`${this.phase} epoch ${this.epochsDone}`);
      if (control.stop) return { stats, stopped: true };
    }
    return { stats, stopped: false };
  }

  capture(): { state: TrainerState; tensors: Map<string, Float32Array> } {
    const state: TrainerState = {
      epochsDone: this.epochsDone,
      stepInEpoch: this.stepInEpoch,
      lossSum: this.lossSum,
      correctSum: this.correctSum,
      seen: this.seen,
      seed: this.seed,
    };
    const tensors = new Map<string, Float32Array>();
    for (const [name, data] of Object.entries(this.sgd.getState())) tensors.set(`velocity/${name}`, data);
    for (const [name, data] of this.supernet.store.snapshot()) tensors.set(`params/${name}`, data);
    for (const [name, data] of this.supernet.store.snapshotBuffers()) tensors.set(`buffers/${name}`, data);
    return { state, tensors };
  }

  restore(state: unknown, tensors: ReadonlyMap<string, Float32Array>): void {
    const s = state as TrainerState;
    Object.assign(this, {
      epochsDone: s.epochsDone,
      stepInEpoch: s.stepInEpoch,
      lossSum: s.lossSum,
      correctSum: s.correctSum,
      seen: s.seen,
      seed: s.seed,
    });
    const pick = (prefix: string): Map<string, Float32Array> =>
      new Map([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    this.supernet.store.load(pick('params/'), 'params');
    this.supernet.store.load(pick('buffers/'), 'buffers');
    this.sgd.setState(Object.fromEntries(pick('velocity/')), this.supernet.store.params);
  }

  private async trainEpoch(horizonEpochs: number, sample: StepSampler, participant?: TrainingParticipant): Promise<EpochStats> {
    const began = Date.now();
    const steps = this.stepsPerEpoch();
    if (steps < 1) {
      throw new Error(`training split has ${this.data.train.count} images, fewer than one batch of ${this.cfg.batchSize}`);
    }
    const epoch = this.epochsDone;
    const lr = learningRateAt(this.cfg, epoch / Math.max(horizonEpochs, 1));
    const task = this.progress.start(`${this.phase} epoch ${epoch + 1}/${horizonEpochs}`, steps);
    if (this.stepInEpoch > 0) task.tick(this.stepInEpoch);
    const params = this.supernet.store.params;
    for (const batch of batches(this.data.train, this.data.input, this.cfg.batchSize, {
      rng: Rng.derive(this.seed, 'order', epoch),
      augment: this.cfg.augment,
      dropLast: true,
      limit: steps,
      startBatch: this.stepInEpoch,
    })) {
      try {
        this.step(batch, sample(Rng.derive(this.seed, 'path', epoch, this.stepInEpoch)), params, lr, participant);
      } finally {
        batch.x.dispose();
        batch.y.dispose();
      }
      this.stepInEpoch++;
      task.tick();
      // let signal handlers run: the step itself never yields to the event loop
      await yieldToEventLoop();
      const reason = this.control.interruption?.requested;
      if (reason) {
        this.control.checkpoints?.save(`interrupted (${reason}) in ${this.phase} epoch ${epoch + 1}, step ${this.stepInEpoch}`);
        const where = this.control.checkpoints?.lastSaved;
        throw new RunInterrupted(`interrupted by ${reason}${where ? `; checkpoint saved: ${where}` : ''}`);
      }
    }
    const loss = this.lossSum / Math.max(this.seen, 1);
    const trainAccuracy = this.correctSum / Math.max(this.seen, 1);
    const seconds = (Date.now() - began) / 1000;
    task.done(`loss ${loss.toFixed(3)} acc ${(100 * trainAccuracy).toFixed(1)}% lr ${lr.toPrecision(3)}`);
    return { epoch: epoch + 1, loss, trainAccuracy, learningRate: lr, seconds, steps };
  }

  /** One optimizer step over the paths of one batch (gradients summed over paths). */
  private step(
    batch: { x: tf.Tensor4D; y: tf.Tensor2D; size: number },
    paths: StepPath[],
    params: ReadonlyMap<string, tf.Variable>,
    lr: number,
    participant?: TrainingParticipant,
  ): void {
    const grads: tf.NamedTensorMap = {};
    const extraVars = participant?.variables() ?? [];
    const extraGrads = new Map<tf.Variable, tf.Tensor>();
    const extraOfVar = new Map(extraVars.map((v) => [v.name, v]));
    try {
      for (const path of paths) {
        const names = isMixture(path) ? this.mixtureParams(path) : this.supernet.paramsOf(path);
        const vars = names.map((n) => params.get(n) as tf.Variable);
        // tfjs keys gradients by its (prefixed) variable name; map back to parameter names
        const nameOfVar = new Map(vars.map((v, i) => [v.name, names[i]]));
        let logits: tf.Tensor2D | undefined;
        const { value, grads: g } = tf.variableGrads(() => {
          logits = tf.keep(
            isMixture(path)
              ? this.forwardMixture(batch.x, { ops: path.ops, weights: path.weights() })
              : this.supernet.forward(batch.x, path, 'train'),
          );
          return crossEntropy(logits, batch.y, this.cfg.labelSmoothing ?? 0);
        }, [...vars, ...extraVars]);
        const correct = correctCount(logits as tf.Tensor2D, batch.y);
        const lossValue = value.dataSync()[0];
        this.correctSum += correct.dataSync()[0];
        correct.dispose();
        value.dispose();
        (logits as tf.Tensor2D | undefined)?.dispose();
        for (const [tfName, t] of Object.entries(g)) {
          const extra = extraOfVar.get(tfName);
          if (extra) {
            const prev = extraGrads.get(extra);
            extraGrads.set(extra, prev ? accumulate(prev, t) : t);
          } else {
            const name = nameOfVar.get(tfName) as string;
            grads[name] = grads[name] ? accumulate(grads[name], t) : t;
          }
        }
        if (!Number.isFinite(lossValue)) {
          const last = this.control.checkpoints?.lastSaved;
          throw new NumericalError(
            `${this.phase} epoch ${this.epochsDone + 1}, step ${this.stepInEpoch + 1}: the loss is ${lossValue}; ` +
              `stopped before applying this step (last good checkpoint: ${last ?? 'none yet'})`,
          );
        }
        this.lossSum += lossValue * batch.size;
        this.seen += batch.size;
      }
      clipGlobalNorm(grads, this.cfg.gradientClip);
      this.sgd.step(params, grads, lr);
      if (participant) participant.update(extraGrads);
    } finally {
      for (const t of Object.values(grads)) t.dispose();
      for (const t of extraGrads.values()) t.dispose();
    }
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
    this.control.checkpoints?.unregister(this.key);
    this.sgd.dispose();
  }
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
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
