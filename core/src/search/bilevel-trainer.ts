import * as tf from '@tensorflow/tfjs';
import { Batch, batches } from '../data/batches';
import type { ImageSet } from '../data/dataset';
import { correctCount } from '../eval/child-accuracy';
import type { RunServices } from '../services/run-services';
import type { MixtureSupernet } from '../space/requirements';
import type { Mixture } from '../space/search-space';
import { EpochStats, EpochTrainer, readScalars, StepAt, TrainerSetup } from '../train/epoch-trainer';
import { weightDecayFilter } from '../train/sgd';
import { Rng } from '../util/rng';
import {
  ArchitectureWeights,
  firstOrderArchitectureGradient,
  mixtureGradients,
  secondOrderArchitectureGradient,
  VirtualStep,
} from './differentiable';

/** What one epoch of bilevel training does besides the weight steps. */
export interface BilevelEpochPlan {
  /** Update alpha on validation batches (PDARTS trains the weights alone for its first epochs). */
  updateArchitecture: boolean;
  /** Dropout on the outputs of these operators (PDARTS: skip_connect), in every forward pass of the epoch. */
  dropout?: { ops: readonly string[]; rate: number };
}

/** A bilevel trainer's setup: the trainer's, and the architecture weights with the order of their gradient. */
export interface BilevelTrainerSetup extends TrainerSetup {
  alpha: ArchitectureWeights;
  /** 1: first-order DARTS; 2: the unrolled second-order gradient. */
  order: 1 | 2;
}

export interface BilevelEpochStats extends EpochStats {
  /** Mean validation loss of the architecture steps (NaN when alpha was not updated). */
  archLoss: number;
  archSteps: number;
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
export class BilevelTrainer extends EpochTrainer<BilevelEpochStats> {
  private archLossSum = 0;
  private archSteps = 0;
  private valCursor?: { epoch: number; pass: number; next: number; it: Iterator<Batch> };

  readonly alpha: ArchitectureWeights;
  readonly order: 1 | 2;

  constructor(private readonly supernet: MixtureSupernet, setup: BilevelTrainerSetup, services: RunServices) {
    super(supernet.store, setup, services);
    this.alpha = setup.alpha;
    this.order = setup.order;
    this.registerCheckpoint();
  }

  /**
   * Train `epochs` more epochs (a resumed, partly done epoch counts as one);
   * the learning rate follows the schedule over `horizonEpochs`. `plan(e)`
   * says what epoch e (0-based) does; `afterEpoch` runs before the epoch's
   * checkpoint (to record what alpha looks like, say). Returns early when a
   * hook asks to stop.
   */
  train(
    epochs: number,
    horizonEpochs: number,
    plan: (epoch: number) => BilevelEpochPlan,
    afterEpoch?: (stats: BilevelEpochStats) => void | Promise<void>,
  ): Promise<{ stats: BilevelEpochStats[]; stopped: boolean }> {
    return this.runEpochs(epochs, horizonEpochs, () => this.trainEpoch(horizonEpochs, plan(this.epochsDone)), afterEpoch);
  }

  /** Top-1 accuracy and mean loss of the mixture on `set` (eval mode: running BN statistics). */
  async evaluate(set: ImageSet, batchSize: number): Promise<{ accuracy: number; loss: number }> {
    const forward = this.supernet.forwardMixture.bind(this.supernet);
    let correct = 0;
    let lossSum = 0;
    for (const batch of batches(set, this.data.input, batchSize, {})) {
      const scalars = tf.tidy(() => {
        const logits = forward(batch.x, this.alpha.mixture(), 'eval');
        return [correctCount(logits, batch.y), tf.neg(tf.sum(tf.mul(batch.y, tf.logSoftmax(logits))))];
      });
      batch.x.dispose();
      batch.y.dispose();
      // one read per batch; the loss is summed in float64 as it was
      const [c, ce] = await readScalars(scalars);
      correct += c;
      lossSum += ce;
    }
    const n = Math.max(set.count, 1);
    return { accuracy: correct / n, loss: lossSum / n };
  }

  protected override captureOwn(): Record<string, unknown> {
    return { archLossSum: this.archLossSum, archSteps: this.archSteps };
  }

  protected override restoreOwn(saved: Record<string, unknown>): void {
    this.archLossSum = saved.archLossSum as number;
    this.archSteps = saved.archSteps as number;
    this.valCursor = undefined;
  }

  protected override resetEpochCounters(): void {
    super.resetEpochCounters();
    this.archLossSum = this.archSteps = 0;
  }

  protected override epochNote(): string {
    return this.archSteps > 0 ? ` val loss ${(this.archLossSum / this.archSteps).toFixed(3)}` : '';
  }

  private async trainEpoch(horizonEpochs: number, plan: BilevelEpochPlan): Promise<BilevelEpochStats> {
    const stats = await this.runEpoch(
      horizonEpochs,
      (batch, at) => this.step(batch, at, plan),
      () => {
        if (plan.updateArchitecture && Math.floor(this.data.val.count / this.cfg.batchSize) < 1) {
          throw new Error(
            `validation split has ${this.data.val.count} images, fewer than one batch of ${this.cfg.batchSize} (the architecture steps use it)`,
          );
        }
      },
    );
    const archLoss = this.archSteps > 0 ? this.archLossSum / this.archSteps : NaN;
    return { ...stats, archLoss, archSteps: this.archSteps };
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

  private async step(batch: Batch, { epoch, step, lr }: StepAt, plan: BilevelEpochPlan): Promise<void> {
    const dropout: Mixture['dropout'] =
      plan.dropout && plan.dropout.rate > 0
        ? { ops: plan.dropout.ops, rate: plan.dropout.rate, seed: Rng.derive(this.seed, 'dropout', epoch, step).nextUint32() }
        : undefined;
    const lossOptions = { dropout, labelSmoothing: this.cfg.labelSmoothing ?? 0 };

    if (plan.updateArchitecture) {
      const val = this.valBatch(epoch, step);
      try {
        const { loss, grads } =
          this.order === 2
            ? await secondOrderArchitectureGradient(this.supernet, this.alpha, batch, val, lr, this.virtualStep(), lossOptions)
            : await firstOrderArchitectureGradient(this.supernet, this.alpha, val, lossOptions);
        try {
          this.checkFinite(loss, 'validation');
          await this.alpha.step(grads);
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

    const names = this.supernet.paramsOfMixture(this.alpha.ops);
    const params = this.supernet.store.params;
    const vars = names.map((n) => params.get(n) as tf.Variable);
    const { loss, correct, grads } = await mixtureGradients(this.supernet, this.alpha, batch, vars, lossOptions);
    const named: tf.NamedTensorMap = {};
    grads.forEach((g, i) => {
      if (g) named[names[i]] = g;
    });
    try {
      this.checkFinite(loss, 'training');
      this.applyGradients(named, lr);
    } finally {
      for (const t of Object.values(named)) t.dispose();
    }
    this.count(loss, correct, batch.size);
  }

  /**
   * The SGD step this trainer would take (momentum buffer and weight decay
   * included), for second-order DARTS. The momentum buffers are used where
   * they are, on the device: nothing is read back.
   */
  private virtualStep(): VirtualStep {
    const { momentum, nesterov, weightDecay } = this.cfg;
    const decays = weightDecayFilter(this.cfg.weightDecayScope, this.supernet.store);
    return (name, w, g, xi) =>
      tf.tidy(() => {
        const d = weightDecay > 0 && (!decays || decays(name)) ? tf.add(g, tf.mul(w, weightDecay)) : g;
        let step: tf.Tensor = d;
        if (momentum > 0) {
          const v = this.sgd.velocityOf(name);
          const buf = v ? tf.add(tf.mul(v, momentum), d) : d;
          step = nesterov ? tf.add(d, tf.mul(buf, momentum)) : buf;
        }
        return tf.sub(w, tf.mul(step, xi));
      });
  }
}
