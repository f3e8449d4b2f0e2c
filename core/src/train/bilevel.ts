import * as tf from '@tensorflow/tfjs';
import type { Checkpointable } from '../checkpoint/checkpointer';
import { NumericalError, RunInterrupted } from '../checkpoint/interrupt';
import type { TrainConfig } from '../config/types';
import { Batch, batches } from '../data/batches';
import type { DataSplits, ImageSet } from '../data/dataset';
import type { HookBus, Phase } from '../hooks/hooks';
import {
  ArchitectureWeights,
  firstOrderArchitectureGradient,
  mixtureGradients,
  secondOrderArchitectureGradient,
  VirtualStep,
} from '../search/differentiable';
import type { Mixture, Supernet } from '../space/search-space';
import type { Progress } from '../util/progress';
import { Rng } from '../util/rng';
import { correctCount } from './loss';
import { learningRateAt } from './schedule';
import { clipGlobalNorm, Sgd, weightDecayFilter } from './sgd';
import { EpochStats, TrainerControl, yieldToEventLoop } from './trainer';

/** What one epoch of bilevel training does besides the weight steps. */
export interface BilevelEpochPlan {
  /** Update alpha on validation batches (PDARTS trains the weights alone for its first epochs). */
  updateArchitecture: boolean;
  /** Dropout on the outputs of these operators (PDARTS: skip_connect), in every forward pass of the epoch. */
  dropout?: { ops: readonly string[]; rate: number };
}

export interface BilevelEpochStats extends EpochStats {
  /** Mean validation loss of the architecture steps (NaN when alpha was not updated). */
  archLoss: number;
  archSteps: number;
}

interface BilevelState {
  epochsDone: number;
  stepInEpoch: number;
  lossSum: number;
  correctSum: number;
  seen: number;
  archLossSum: number;
  archSteps: number;
  seed: number;
}

/**
 * DARTS's bilevel optimisation of a supernet's mixture: every step first
 * updates the architecture weights alpha on a validation batch (Adam; the
 * plain gradient for `order` 1, the unrolled second-order gradient for
 * `order` 2, with the virtual step taken by this trainer's SGD: momentum and
 * weight decay included as in the reference), then the weights on a
 * training batch (SGD with momentum, clipping, the learning-rate schedule).
 *
 * As the SupernetTrainer: randomness is counter-based (training order from
 * (seed, epoch), validation order from (seed, epoch, pass), dropout masks
 * from (seed, epoch, step)), the trainer's state and the supernet's are
 * checkpointed at every epoch end and on interruption, so a run resumes at
 * any step; alpha is its own checkpoint part (ArchitectureWeights).
 */
export class BilevelTrainer implements Checkpointable {
  readonly sgd: Sgd;
  epochsDone = 0;
  private stepInEpoch = 0;
  private lossSum = 0;
  private correctSum = 0;
  private seen = 0;
  private archLossSum = 0;
  private archSteps = 0;
  private seed: number;
  private readonly key: string;
  private valCursor?: { epoch: number; pass: number; next: number; it: Iterator<Batch> };

  constructor(
    private readonly supernet: Supernet,
    readonly alpha: ArchitectureWeights,
    private readonly data: DataSplits,
    readonly cfg: TrainConfig,
    readonly order: 1 | 2,
    rng: Rng,
    private readonly hooks: HookBus,
    private readonly progress: Progress,
    readonly phase: Phase,
    private readonly control: TrainerControl = {},
  ) {
    if (!supernet.forwardMixture || !supernet.paramsOfMixture) {
      throw new Error('bilevel training needs a search space with a mixture forward pass (forwardMixture, paramsOfMixture)');
    }
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

  stepsPerEpoch(): number {
    const full = Math.floor(this.data.train.count / this.cfg.batchSize);
    return this.cfg.stepsPerEpoch > 0 ? Math.min(this.cfg.stepsPerEpoch, full) : full;
  }

  /**
   * Train `epochs` more epochs (a resumed, partly done epoch counts as one);
   * the learning rate follows the schedule over `horizonEpochs`. `plan(e)`
   * says what epoch e (0-based) does; `afterEpoch` runs before the epoch's
   * checkpoint (to record what alpha looks like, say). Returns early when a
   * hook asks to stop.
   */
  async train(
    epochs: number,
    horizonEpochs: number,
    plan: (epoch: number) => BilevelEpochPlan,
    afterEpoch?: (stats: BilevelEpochStats) => void | Promise<void>,
  ): Promise<{ stats: BilevelEpochStats[]; stopped: boolean }> {
    const stats: BilevelEpochStats[] = [];
    for (let e = 0; e < epochs; e++) {
      const s = await this.trainEpoch(horizonEpochs, plan(this.epochsDone));
      stats.push(s);
      this.epochsDone++;
      this.stepInEpoch = 0;
      this.lossSum = this.correctSum = this.seen = this.archLossSum = this.archSteps = 0;
      await afterEpoch?.(s);
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

  /** Top-1 accuracy and mean loss of the mixture on `set` (eval mode: running BN statistics). */
  evaluate(set: ImageSet, batchSize: number): { accuracy: number; loss: number } {
    const forward = this.supernet.forwardMixture!.bind(this.supernet);
    let correct = 0;
    let lossSum = 0;
    for (const batch of batches(set, this.data.input, batchSize, {})) {
      tf.tidy(() => {
        const logits = forward(batch.x, this.alpha.mixture(), 'eval');
        correct += correctCount(logits, batch.y).dataSync()[0];
        const ce = tf.neg(tf.sum(tf.mul(batch.y, tf.logSoftmax(logits))));
        lossSum += ce.dataSync()[0];
      });
      batch.x.dispose();
      batch.y.dispose();
    }
    const n = Math.max(set.count, 1);
    return { accuracy: correct / n, loss: lossSum / n };
  }

  capture(): { state: BilevelState; tensors: Map<string, Float32Array> } {
    const state: BilevelState = {
      epochsDone: this.epochsDone,
      stepInEpoch: this.stepInEpoch,
      lossSum: this.lossSum,
      correctSum: this.correctSum,
      seen: this.seen,
      archLossSum: this.archLossSum,
      archSteps: this.archSteps,
      seed: this.seed,
    };
    const tensors = new Map<string, Float32Array>();
    for (const [name, data] of Object.entries(this.sgd.getState())) tensors.set(`velocity/${name}`, data);
    for (const [name, data] of this.supernet.store.snapshot()) tensors.set(`params/${name}`, data);
    for (const [name, data] of this.supernet.store.snapshotBuffers()) tensors.set(`buffers/${name}`, data);
    return { state, tensors };
  }

  restore(saved: unknown, tensors: ReadonlyMap<string, Float32Array>): void {
    Object.assign(this, saved as BilevelState);
    this.valCursor = undefined;
    const pick = (prefix: string): Map<string, Float32Array> =>
      new Map([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    this.supernet.store.load(pick('params/'), 'params');
    this.supernet.store.load(pick('buffers/'), 'buffers');
    this.sgd.setState(Object.fromEntries(pick('velocity/')), this.supernet.store.params);
  }

  dispose(): void {
    this.control.checkpoints?.unregister(this.key);
    this.sgd.dispose();
  }

  private async trainEpoch(horizonEpochs: number, plan: BilevelEpochPlan): Promise<BilevelEpochStats> {
    const began = Date.now();
    const steps = this.stepsPerEpoch();
    if (steps < 1) {
      throw new Error(`training split has ${this.data.train.count} images, fewer than one batch of ${this.cfg.batchSize}`);
    }
    if (plan.updateArchitecture && Math.floor(this.data.val.count / this.cfg.batchSize) < 1) {
      throw new Error(
        `validation split has ${this.data.val.count} images, fewer than one batch of ${this.cfg.batchSize} (the architecture steps use it)`,
      );
    }
    const epoch = this.epochsDone;
    const lr = learningRateAt(this.cfg, epoch / Math.max(horizonEpochs, 1));
    const task = this.progress.start(`${this.phase} epoch ${epoch + 1}/${horizonEpochs}`, steps);
    if (this.stepInEpoch > 0) task.tick(this.stepInEpoch);
    for (const batch of batches(this.data.train, this.data.input, this.cfg.batchSize, {
      rng: Rng.derive(this.seed, 'order', epoch),
      augment: this.cfg.augment,
      dropLast: true,
      limit: steps,
      startBatch: this.stepInEpoch,
    })) {
      try {
        this.step(batch, epoch, lr, plan);
      } finally {
        batch.x.dispose();
        batch.y.dispose();
      }
      this.stepInEpoch++;
      task.tick();
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
    const archLoss = this.archSteps > 0 ? this.archLossSum / this.archSteps : NaN;
    const seconds = (Date.now() - began) / 1000;
    task.done(
      `loss ${loss.toFixed(3)} acc ${(100 * trainAccuracy).toFixed(1)}%` +
        (this.archSteps > 0 ? ` val loss ${archLoss.toFixed(3)}` : '') +
        ` lr ${lr.toPrecision(3)}`,
    );
    return { epoch: epoch + 1, loss, trainAccuracy, learningRate: lr, seconds, steps, archLoss, archSteps: this.archSteps };
  }

  /** The validation batch of step `step` of `epoch`: passes over the validation split, reshuffled per pass. */
  private valBatch(epoch: number, step: number): Batch {
    const per = Math.floor(this.data.val.count / this.cfg.batchSize);
    const pass = Math.floor(step / per);
    const pos = step % per;
    const c = this.valCursor;
    if (!c || c.epoch !== epoch || c.pass !== pass || c.next !== pos) {
      const it = batches(this.data.val, this.data.input, this.cfg.batchSize, {
        rng: Rng.derive(this.seed, 'val-order', epoch, pass),
        dropLast: true,
        startBatch: pos,
      })[Symbol.iterator]();
      this.valCursor = { epoch, pass, next: pos, it };
    }
    const cursor = this.valCursor as NonNullable<BilevelTrainer['valCursor']>;
    const r = cursor.it.next();
    if (r.done) throw new Error('validation batches ran out (internal error)');
    cursor.next++;
    return r.value;
  }

  private step(batch: Batch, epoch: number, lr: number, plan: BilevelEpochPlan): void {
    const dropout: Mixture['dropout'] =
      plan.dropout && plan.dropout.rate > 0
        ? { ops: plan.dropout.ops, rate: plan.dropout.rate, seed: Rng.derive(this.seed, 'dropout', epoch, this.stepInEpoch).nextUint32() }
        : undefined;
    const lossOptions = { dropout, labelSmoothing: this.cfg.labelSmoothing ?? 0 };

    if (plan.updateArchitecture) {
      const val = this.valBatch(epoch, this.stepInEpoch);
      try {
        const { loss, grads } =
          this.order === 2
            ? secondOrderArchitectureGradient(this.supernet, this.alpha, batch, val, lr, this.virtualStep(), lossOptions)
            : firstOrderArchitectureGradient(this.supernet, this.alpha, val, lossOptions);
        try {
          this.checkFinite(loss, 'validation');
          this.alpha.step(grads);
        } finally {
          for (const g of grads) g?.dispose();
        }
        this.archLossSum += loss;
        this.archSteps++;
      } finally {
        val.x.dispose();
        val.y.dispose();
      }
    }

    const names = this.supernet.paramsOfMixture!(this.alpha.ops);
    const params = this.supernet.store.params;
    const vars = names.map((n) => params.get(n) as tf.Variable);
    const { loss, correct, grads } = mixtureGradients(this.supernet, this.alpha, batch, vars, lossOptions);
    const named: tf.NamedTensorMap = {};
    grads.forEach((g, i) => {
      if (g) named[names[i]] = g;
    });
    try {
      this.checkFinite(loss, 'training');
      clipGlobalNorm(named, this.cfg.gradientClip);
      this.sgd.step(params, named, lr);
    } finally {
      for (const t of Object.values(named)) t.dispose();
    }
    this.lossSum += loss * batch.size;
    this.correctSum += correct;
    this.seen += batch.size;
  }

  /** The SGD step this trainer would take (momentum buffer and weight decay included), for second-order DARTS. */
  private virtualStep(): VirtualStep {
    const { momentum, nesterov, weightDecay } = this.cfg;
    const velocity = momentum > 0 ? this.sgd.getState() : {};
    const decays = weightDecayFilter(this.cfg.weightDecayScope, this.supernet.store);
    return (name, w, g, xi) =>
      tf.tidy(() => {
        const d = weightDecay > 0 && (!decays || decays(name)) ? tf.add(g, tf.mul(w, weightDecay)) : g;
        let step: tf.Tensor = d;
        if (momentum > 0) {
          const v = velocity[name];
          const buf = v ? tf.add(tf.mul(tf.tensor(v, w.shape), momentum), d) : d;
          step = nesterov ? tf.add(d, tf.mul(buf, momentum)) : buf;
        }
        return tf.sub(w, tf.mul(step, xi));
      });
  }

  private checkFinite(loss: number, which: string): void {
    if (Number.isFinite(loss)) return;
    const last = this.control.checkpoints?.lastSaved;
    throw new NumericalError(
      `${this.phase} epoch ${this.epochsDone + 1}, step ${this.stepInEpoch + 1}: the ${which} loss is ${loss}; ` +
        `stopped before applying this step (last good checkpoint: ${last ?? 'none yet'})`,
    );
  }
}

