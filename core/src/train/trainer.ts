import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batches';
import type { RunServices } from '../services/run-services';
import { mixtureSupernet, type MixtureSupernet } from '../space/requirements';
import type { Architecture, Supernet } from '../space/search-space';
import { Rng } from '../util/rng';
import { EpochStats, EpochTrainer, lossAndGradients, readScalars, TrainerSetup } from './epoch-trainer';
import { crossEntropy } from './loss';

export { yieldToEventLoop } from './epoch-trainer';
export type { EpochStats, TrainerSetup } from './epoch-trainer';

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
 * `update` may be async (to read the gradients asynchronously, as webgpu in
 * Node requires); the step waits for it before disposing them.
 */
export interface TrainingParticipant {
  variables(): tf.Variable[];
  update(grads: ReadonlyMap<tf.Variable, tf.Tensor>): void | Promise<void>;
}

/**
 * The one supernet trainer of absnas: epochs of SGD over sampled paths, a
 * learning-rate schedule over a stated horizon, progress and the onEpochEnd
 * hook. Randomness is counter-based (data order from (seed, epoch), paths
 * from (seed, epoch, step)), so a run resumes exactly at any step; its state
 * and the supernet's are checkpointed at every epoch end and on interruption.
 */
export class SupernetTrainer extends EpochTrainer {
  constructor(private readonly supernet: Supernet, setup: TrainerSetup, services: RunServices) {
    super(supernet.store, setup, services);
    this.registerCheckpoint();
  }

  /**
   * Train `epochs` more epochs (finishing a resumed, partly done epoch first
   * counts as one of them). The learning rate follows the schedule over
   * `horizonEpochs` epochs counted from the start of the phase. Returns early
   * when a hook asks to stop.
   */
  train(
    epochs: number,
    horizonEpochs: number,
    sample: StepSampler,
    participant?: TrainingParticipant,
  ): Promise<{ stats: EpochStats[]; stopped: boolean }> {
    return this.runEpochs(epochs, horizonEpochs, () =>
      this.runEpoch(horizonEpochs, (batch, { epoch, step, lr }) =>
        this.step(batch, sample(Rng.derive(this.seed, 'path', epoch, step)), lr, participant),
      ),
    );
  }

  /**
   * One optimizer step over the paths of one batch (gradients summed over
   * paths). The losses and correct counts of all paths are read once, before
   * the update, so the NaN guard still stops the step.
   */
  private async step(batch: Batch, paths: StepPath[], lr: number, participant?: TrainingParticipant): Promise<void> {
    const params = this.store.params;
    const grads: tf.NamedTensorMap = {};
    const extraVars = participant?.variables() ?? [];
    const extraGrads = new Map<tf.Variable, tf.Tensor>();
    const extraOfVar = new Map(extraVars.map((v) => [v.name, v]));
    // per path: its loss, then its correct count
    const scalars: tf.Tensor[] = [];
    try {
      for (const path of paths) {
        const names = isMixture(path) ? this.mixtures().paramsOfMixture(path.ops) : this.supernet.paramsOf(path);
        const vars = names.map((n) => params.get(n) as tf.Variable);
        // tfjs keys gradients by its (prefixed) variable name; map back to parameter names
        const nameOfVar = new Map(vars.map((v, i) => [v.name, names[i]]));
        const { loss, correct, grads: g } = lossAndGradients(() => {
          const logits = isMixture(path)
            ? this.mixtures().forwardMixture(batch.x, { ops: path.ops, weights: path.weights() }, 'train')
            : this.supernet.forward(batch.x, path, 'train');
          return { logits, loss: crossEntropy(logits, batch.y, this.cfg.labelSmoothing ?? 0) };
        }, batch.y, [...vars, ...extraVars]);
        scalars.push(loss, correct);
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
      }
      const values = await readScalars(scalars.splice(0));
      for (let i = 0; i < paths.length; i++) {
        this.checkFinite(values[2 * i]);
        this.count(values[2 * i], values[2 * i + 1], batch.size);
      }
      this.applyGradients(grads, lr);
      if (participant) await participant.update(extraGrads);
    } finally {
      tf.dispose(scalars);
      for (const t of Object.values(grads)) t.dispose();
      for (const t of extraGrads.values()) t.dispose();
    }
  }

  private mixtures(): MixtureSupernet {
    return mixtureSupernet(this.supernet, 'training on mixture paths');
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
