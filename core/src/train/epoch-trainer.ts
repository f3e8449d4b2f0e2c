/**
 * What every trainer of absnas shares (the supernet's, the bilevel one of
 * DARTS/PDARTS, training from scratch): the epoch loop with its learning-rate
 * schedule, progress, onEpochEnd hook and epoch-end checkpoint; the step loop
 * over counter-based batches with the interruption check; the NaN guard; the
 * clipped SGD update; and the checkpointed counters, weights and momentum.
 * Each trainer keeps only its own step.
 */
import * as tf from '@tensorflow/tfjs';
import type { Checkpointable } from '../checkpoint/checkpointer';
import { NumericalError, RunInterrupted } from '../checkpoint/interrupt';
import type { TrainConfig } from '../config/types';
import { Batch, batches } from '../data/batches';
import type { DataSplits } from '../data/dataset';
import { correctCount } from '../eval/child-accuracy';
import type { Phase } from '../hooks/hooks';
import type { ParamStore } from '../nn/params';
import type { RunServices } from '../services/run-services';
import { Rng } from '../util/rng';
import { learningRateAt } from './schedule';
import { Sgd, clipByValue, weightDecayFilter } from './sgd';

export interface EpochStats {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  learningRate: number;
  seconds: number;
  steps: number;
}

/** What a trainer trains on and with: everything but the weights and the run's services. */
export interface TrainerSetup<C extends TrainConfig = TrainConfig> {
  data: DataSplits;
  /** SGD, learning-rate schedule and batches. */
  train: C;
  /** The trainer draws its seed from it, once. */
  rng: Rng;
  phase: Phase;
  /** Key under which the trainer registers its state with the run's checkpoints (default `<phase>/trainer`). */
  key?: string;
}

/** Where a step is: its epoch and its index in the epoch (both 0-based), and the epoch's learning rate. */
export interface StepAt {
  epoch: number;
  step: number;
  lr: number;
}

/** The counters of every trainer, saved with its weights. */
interface LoopState {
  epochsDone: number;
  stepInEpoch: number;
  lossSum: number;
  correctSum: number;
  seen: number;
  seed: number;
  /** With train.offPathUpdates: the parameters that have had a gradient. */
  touched?: string[];
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * At a safe point of a long loop: when a stop was requested, save a
 * checkpoint and throw RunInterrupted naming it.
 */
export async function stopIfInterrupted(control: Pick<RunServices, 'checkpoints' | 'interruption'>, where: string): Promise<void> {
  const reason = control.interruption?.requested;
  if (!reason) return;
  await control.checkpoints?.save(`interrupted (${reason}) in ${where}`);
  const saved = control.checkpoints?.lastSaved;
  throw new RunInterrupted(`interrupted by ${reason}${saved ? `; checkpoint saved: ${saved}` : ''}`);
}

/**
 * The values of scalar tensors (disposed here) in one read: webgpu in Node
 * reads asynchronously only, and every read waits for the GPU, so a step
 * reads once. On wasm an asynchronous read is a copy, as a synchronous one.
 */
export async function readScalars(scalars: tf.Tensor[]): Promise<Float32Array> {
  if (scalars.length === 0) return new Float32Array(0);
  const all = scalars.length === 1 ? scalars[0] : tf.tidy(() => tf.concat(scalars.map((t) => tf.reshape(t, [-1]))));
  try {
    return (await all.data()) as Float32Array;
  } finally {
    tf.dispose([all, ...scalars]);
  }
}

/**
 * The loss that `forward` computes inside the gradient tape, its gradients
 * with respect to `vars` (keyed by tfjs variable name) and the number of
 * rows of `labels` that the logits get right. The caller disposes all three.
 */
export function lossAndGradients(
  forward: () => { logits: tf.Tensor2D; loss: tf.Scalar },
  labels: tf.Tensor2D,
  vars: tf.Variable[],
): { loss: tf.Scalar; correct: tf.Scalar; grads: tf.NamedTensorMap } {
  let logits: tf.Tensor2D | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const out = forward();
    logits = tf.keep(out.logits);
    return out.loss;
  }, vars);
  const correct = correctCount(logits as tf.Tensor2D, labels);
  (logits as tf.Tensor2D | undefined)?.dispose();
  return { loss: value, correct, grads };
}

/**
 * Epochs of SGD over the training split. Randomness is counter-based (data
 * order from (seed, epoch); a trainer derives its own draws from (seed,
 * epoch, step)), so a run resumes exactly at any step; the counters, the
 * weights, their batch-norm statistics and the momentum are checkpointed at
 * every epoch end and on interruption. A subclass calls `registerCheckpoint`
 * last in its constructor, once its own fields exist (a resumed run restores
 * them there).
 */
export abstract class EpochTrainer<S extends EpochStats = EpochStats> implements Checkpointable {
  readonly sgd: Sgd;
  /** Epochs completed so far in this phase. */
  epochsDone = 0;
  /** Steps already done in the current (unfinished) epoch. */
  protected stepInEpoch = 0;
  /** The epoch the learning-rate schedule counts from: 0, or where restartOptimizer was last called. */
  scheduleStart = 0;
  protected lossSum = 0;
  protected correctSum = 0;
  protected seen = 0;
  protected seed: number;
  /** The stats of every epoch of this phase so far, resumed ones included (a resumed run reports its whole training). */
  private epochStats: S[] = [];
  protected readonly data: DataSplits;
  readonly cfg: TrainConfig;
  readonly phase: Phase;
  private readonly key: string;

  protected constructor(
    protected readonly store: ParamStore,
    setup: TrainerSetup,
    protected readonly services: RunServices,
  ) {
    const { data, train: cfg, rng, phase } = setup;
    this.data = data;
    this.cfg = cfg;
    this.phase = phase;
    if (cfg.gradientClipMode !== undefined && cfg.gradientClipMode !== 'norm' && cfg.gradientClipMode !== 'value') {
      throw new Error(`train.gradientClipMode must be 'norm' or 'value', got ${JSON.stringify(cfg.gradientClipMode)}`);
    }
    this.sgd = new Sgd({
      momentum: cfg.momentum,
      nesterov: cfg.nesterov,
      weightDecay: cfg.weightDecay,
      decays: weightDecayFilter(cfg.weightDecayScope, store),
      offPath: cfg.offPathUpdates ?? false,
    });
    this.seed = rng.nextUint32();
    this.key = setup.key ?? `${phase}/trainer`;
  }

  /** The stats of every epoch of this phase so far, also those done before a resume (what a searcher reports as its training history). */
  get epochHistory(): readonly S[] {
    return this.epochStats;
  }

  /** Steps in one epoch. */
  stepsPerEpoch(): number {
    const full = Math.floor(this.data.train.count / this.cfg.batchSize);
    return this.cfg.stepsPerEpoch > 0 ? Math.min(this.cfg.stepsPerEpoch, full) : full;
  }

  async capture(): Promise<{ state: LoopState & Record<string, unknown>; tensors: Map<string, Float32Array> }> {
    const { epochsDone, stepInEpoch, lossSum, correctSum, seen, seed } = this;
    const touched = this.cfg.offPathUpdates ? { touched: this.sgd.touchedNames() } : {};
    const scheduleStart = this.scheduleStart;
    const state = { epochsDone, stepInEpoch, lossSum, correctSum, seen, seed, scheduleStart, epochStats: this.epochStats, ...touched, ...this.captureOwn() };
    const [velocity, params, buffers] = await Promise.all([this.sgd.readState(), this.store.read(), this.store.readBuffers()]);
    const tensors = new Map<string, Float32Array>();
    for (const [name, data] of Object.entries(velocity)) tensors.set(`velocity/${name}`, data);
    for (const [name, data] of params) tensors.set(`params/${name}`, data);
    for (const [name, data] of buffers) tensors.set(`buffers/${name}`, data);
    return { state, tensors };
  }

  restore(saved: unknown, tensors: ReadonlyMap<string, Float32Array>): void {
    const s = saved as LoopState & Record<string, unknown>;
    this.epochsDone = s.epochsDone;
    this.stepInEpoch = s.stepInEpoch;
    this.lossSum = s.lossSum;
    this.correctSum = s.correctSum;
    this.seen = s.seen;
    this.seed = s.seed;
    this.scheduleStart = typeof s.scheduleStart === 'number' ? s.scheduleStart : 0;
    // checkpoints written before the history was kept hold none
    this.epochStats = Array.isArray(s.epochStats) ? (s.epochStats as S[]) : [];
    this.restoreOwn(s);
    const pick = (prefix: string): Map<string, Float32Array> =>
      new Map([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    this.store.load(pick('params/'), 'params');
    this.store.load(pick('buffers/'), 'buffers');
    this.sgd.setState(Object.fromEntries(pick('velocity/')), this.store.params);
    this.sgd.setTouched(s.touched ?? []);
  }

  /**
   * A fresh optimizer from the current epoch on, as a recipe that builds a
   * new one per stage (the ABS DARTS reference's warm-up): momentum buffers
   * cleared, and the learning-rate schedule counted from here. Between epochs only.
   */
  restartOptimizer(): void {
    if (this.stepInEpoch > 0) throw new Error(`${this.phase}: the optimizer can only restart between epochs (step ${this.stepInEpoch} of epoch ${this.epochsDone + 1})`);
    this.sgd.dispose();
    this.sgd.setTouched([]);
    this.scheduleStart = this.epochsDone;
  }

  dispose(): void {
    this.services.checkpoints?.unregister(this.key);
    this.sgd.dispose();
  }

  /** A subclass's own checkpointed state, beside the counters. */
  protected captureOwn(): Record<string, unknown> {
    return {};
  }

  protected restoreOwn(_saved: Record<string, unknown>): void {}

  /** Register with the run's checkpoints (restoring a resumed run's state now). */
  protected registerCheckpoint(): void {
    this.services.checkpoints?.register(this.key, this);
  }

  /** Zero the per-epoch sums once an epoch is done. */
  protected resetEpochCounters(): void {
    this.stepInEpoch = 0;
    this.lossSum = this.correctSum = this.seen = 0;
  }

  /** Text between the accuracy and the learning rate of an epoch's progress line. */
  protected epochNote(): string {
    return '';
  }

  /**
   * Run `epochs` more epochs of `epoch` (finishing a resumed, partly done
   * epoch counts as one of them): after each, the counters reset,
   * `afterEpoch` runs, then the onEpochEnd hook and the epoch's checkpoint.
   * `horizonEpochs` is reported to the hook. Returns early when a hook asks
   * to stop. The stats are those of this call's epochs (`epochHistory`
   * has every epoch of the phase, also those before a resume).
   */
  protected async runEpochs(
    epochs: number,
    horizonEpochs: number,
    epoch: () => Promise<S>,
    afterEpoch?: (stats: S) => void | Promise<void>,
  ): Promise<{ stats: S[]; stopped: boolean }> {
    const stats: S[] = [];
    for (let e = 0; e < epochs; e++) {
      const s = await epoch();
      stats.push(s);
      this.epochStats.push(s);
      this.epochsDone++;
      this.resetEpochCounters();
      await afterEpoch?.(s);
      const control = await this.services.hooks.series('onEpochEnd', {
        phase: this.phase,
        epoch: this.epochsDone,
        epochs: horizonEpochs,
        loss: s.loss,
        trainAccuracy: s.trainAccuracy,
        learningRate: s.learningRate,
        seconds: s.seconds,
      });
      await this.services.checkpoints?.save(`${this.phase} epoch ${this.epochsDone}`);
      if (control.stop) return { stats, stopped: true };
    }
    return { stats, stopped: false };
  }

  /**
   * One epoch (or what is left of it): `step` runs on every batch, which is
   * disposed after it; the learning rate follows the schedule over
   * `horizonEpochs` epochs counted from the start of the phase. `check`
   * refuses data the step cannot use, after the training split's own check.
   */
  protected async runEpoch(
    horizonEpochs: number,
    step: (batch: Batch, at: StepAt) => void | Promise<void>,
    check?: () => void,
  ): Promise<EpochStats> {
    const began = Date.now();
    const steps = this.stepsPerEpoch();
    if (steps < 1) {
      throw new Error(`training split has ${this.data.train.count} images, fewer than one batch of ${this.cfg.batchSize}`);
    }
    check?.();
    const epoch = this.epochsDone;
    const lr = learningRateAt(this.cfg, (epoch - this.scheduleStart) / Math.max(horizonEpochs, 1));
    // counted within the schedule: a warm-up stage shows its own epochs
    const task = this.services.progress.start(`${this.phase} epoch ${epoch - this.scheduleStart + 1}/${horizonEpochs}`, steps);
    if (this.stepInEpoch > 0) task.tick(this.stepInEpoch);
    for (const batch of batches(this.data.train, this.data.input, this.cfg.batchSize, {
      rng: Rng.derive(this.seed, 'order', epoch),
      augment: this.cfg.augment,
      dropLast: true,
      limit: steps,
      startBatch: this.stepInEpoch,
    })) {
      try {
        await step(batch, { epoch, step: this.stepInEpoch, lr });
      } finally {
        batch.x.dispose();
        batch.y.dispose();
      }
      this.stepInEpoch++;
      task.tick();
      // let signal handlers run: the step itself never yields to the event loop
      await yieldToEventLoop();
      await stopIfInterrupted(this.services, `${this.phase} epoch ${epoch + 1}, step ${this.stepInEpoch}`);
    }
    const loss = this.lossSum / Math.max(this.seen, 1);
    const trainAccuracy = this.correctSum / Math.max(this.seen, 1);
    const seconds = (Date.now() - began) / 1000;
    task.done(`loss ${loss.toFixed(3)} acc ${(100 * trainAccuracy).toFixed(1)}%${this.epochNote()} lr ${lr.toPrecision(3)}`);
    return { epoch: epoch + 1, loss, trainAccuracy, learningRate: lr, seconds, steps };
  }

  /** The NaN guard: a non-finite loss stops the run before the step is applied. */
  protected checkFinite(loss: number, which?: string): void {
    if (Number.isFinite(loss)) return;
    const last = this.services.checkpoints?.lastSaved;
    throw new NumericalError(
      `${this.phase} epoch ${this.epochsDone + 1}, step ${this.stepInEpoch + 1}: the ${which ? `${which} ` : ''}loss is ${loss}; ` +
        `stopped before applying this step (last good checkpoint: ${last ?? 'none yet'})`,
    );
  }

  /** Clip the gradients (their global norm, or by value) and take the SGD step (the map's tensors stay the caller's). */
  protected applyGradients(grads: tf.NamedTensorMap, lr: number): void {
    const { gradientClip, gradientClipMode } = this.cfg;
    if (gradientClipMode === 'value') {
      clipByValue(grads, gradientClip);
      this.sgd.step(this.store.params, grads, lr, 0);
    } else {
      this.sgd.step(this.store.params, grads, lr, gradientClip);
    }
  }

  /** Add a batch's loss and correct count to the epoch's sums. */
  protected count(loss: number, correct: number, size: number): void {
    this.lossSum += loss * size;
    this.correctSum += correct;
    this.seen += size;
  }
}
