/**
 * Training one architecture from scratch (`absnas train`): a standalone
 * network built by the space (or, for spaces without one, the supernet
 * restricted to the architecture, with fresh weights), trained with SGD,
 * cutout, an auxiliary head and drop-path as in the DARTS evaluation recipe,
 * and judged on the test split. Checkpointed at every epoch end and on
 * interruption, with the same counter-based randomness as the supernet
 * trainer.
 */
import Ajv from 'ajv';
import * as tf from '@tensorflow/tfjs';
import { displayPath, type OriginFn } from '../config/load';
import { trainConfigSchema } from '../config/schema';
import type { DataConfig, PluginRef, RunConfig, TrainConfig } from '../config/types';
import { validateCoreConfig } from '../config/validate';
import type { Batch } from '../data/batches';
import type { ImageSet } from '../data/dataset';
import type { JsonSchema } from '../config/schema';
import type { Architecture, InputSpec, Network, NetworkForwardOptions, SearchSpace, Supernet } from '../space/search-space';
import { ConfigError } from '../util/errors';
import type { RunServices } from '../services/run-services';
import { Rng } from '../util/rng';
import { countCorrect } from '../eval/child-accuracy';
import { EpochTrainer, lossAndGradients, readScalars, StepAt, TrainerSetup } from './epoch-trainer';
import { crossEntropy } from './loss';

export interface ScratchTrainConfig extends TrainConfig {
  epochs: number;
  /** Side of the square cut out of every training image (0 = off; DARTS: 16). */
  cutout: number;
  /** Weight of the auxiliary head's loss (DARTS: 0.4); used when the network has one. */
  auxiliaryWeight: number;
  /** Drop-path probability at the last epoch, increased linearly from 0 (DARTS: 0.2). */
  dropPath: number;
  evalBatchSize: number;
}

/** The config of `absnas train`: the run keys of core (name, seed, backend, data, space) plus `network` and `train`. */
export interface ScratchConfig {
  name: string;
  seed: number;
  backend: RunConfig['backend'];
  data: DataConfig;
  space: PluginRef;
  /** Options of the space's standalone network (DARTS space: channels, layers, stemMultiplier, auxiliary). */
  network: Record<string, unknown>;
  train: ScratchTrainConfig;
  output: { progress: boolean };
}

/** The DARTS evaluation recipe on CIFAR-10 (train.py of the DARTS code). */
export const DARTS_SCRATCH_DEFAULTS: Omit<ScratchTrainConfig, 'stepsPerEpoch' | 'labelSmoothing'> = {
  epochs: 600,
  batchSize: 96,
  learningRate: 0.025,
  minLearningRate: 0,
  schedule: 'cosine',
  momentum: 0.9,
  nesterov: false,
  weightDecay: 3e-4,
  gradientClip: 5,
  augment: true,
  cutout: 16,
  auxiliaryWeight: 0.4,
  dropPath: 0.2,
  evalBatchSize: 256,
};

/** The schema of the `train` and `network` sections. */
export const scratchSchema: JsonSchema = (() => {
  const train = JSON.parse(JSON.stringify(trainConfigSchema)) as JsonSchema & { properties: Record<string, JsonSchema> };
  for (const [k, v] of Object.entries(DARTS_SCRATCH_DEFAULTS)) {
    if (train.properties[k]) train.properties[k].default = v;
  }
  Object.assign(train.properties, {
    epochs: { type: 'integer', minimum: 0, default: DARTS_SCRATCH_DEFAULTS.epochs, description: 'training epochs' },
    cutout: { type: 'integer', minimum: 0, default: DARTS_SCRATCH_DEFAULTS.cutout, description: 'side of the cutout square (0 = off)' },
    auxiliaryWeight: { type: 'number', minimum: 0, default: DARTS_SCRATCH_DEFAULTS.auxiliaryWeight, description: "weight of the auxiliary head's loss" },
    dropPath: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: DARTS_SCRATCH_DEFAULTS.dropPath, description: 'drop-path probability at the last epoch (linear from 0)' },
    evalBatchSize: { type: 'integer', minimum: 1, default: DARTS_SCRATCH_DEFAULTS.evalBatchSize },
  });
  train.description = 'training from scratch: SGD with momentum, cosine schedule, cutout, auxiliary head, drop-path';
  return {
    type: 'object',
    properties: {
      network: { type: 'object', default: {}, description: "options of the space's standalone network (checked by the space)" },
      train,
    },
  };
})();

let scratchValidator: ReturnType<Ajv['compile']> | undefined;

/**
 * Validate a raw `absnas train` config: the core keys by the core schema
 * (a run preset works: its data, seed and space are used, its shrink and
 * search sections ignored), `network` and `train` by scratchSchema.
 */
export function validateScratchConfig(raw: Record<string, unknown>, origin: OriginFn): ScratchConfig {
  const { network, train, ...rest } = raw;
  const core = validateCoreConfig(rest, origin);
  const mine: Record<string, unknown> = JSON.parse(JSON.stringify({ network: network ?? {}, train: train ?? {} }));
  scratchValidator ??= new Ajv({ allErrors: false, useDefaults: true, strict: false }).compile(scratchSchema);
  if (!scratchValidator(mine)) {
    const e = (scratchValidator.errors ?? [])[0];
    const pointer = e ? e.instancePath + (e.keyword === 'additionalProperties' ? `/${String((e.params as { additionalProperty: string }).additionalProperty)}` : '') : '';
    const what = e?.keyword === 'additionalProperties' ? 'unknown setting' : (e?.message ?? 'invalid');
    throw new ConfigError(`${displayPath(origin(pointer || '/train'))}: ${pointer || '/'}: ${what}`);
  }
  return {
    name: core.name,
    seed: core.seed,
    backend: core.backend,
    data: core.data,
    space: core.space,
    network: mine.network as Record<string, unknown>,
    train: mine.train as ScratchTrainConfig,
    output: core.output,
  };
}

/** A space without a standalone network: its supernet restricted to one child, with fresh weights. */
export class SupernetChild implements Network {
  readonly store;

  constructor(private readonly supernet: Supernet, readonly arch: Architecture) {
    this.store = supernet.store;
  }

  forward(x: tf.Tensor4D, mode: 'train' | 'eval' | 'recalibrate'): { logits: tf.Tensor2D } {
    return { logits: this.supernet.forward(x, this.arch, mode) };
  }

  paramNames(): string[] {
    return this.supernet.paramsOf(this.arch);
  }

  paramCount(): number {
    return this.paramNames().reduce((s, n) => s + this.store.get(n).size, 0);
  }

  resetBatchNormStats(): void {
    this.supernet.resetBatchNormStats();
  }

  dispose(): void {
    this.supernet.dispose();
  }
}

/** The network that trains `arch`: the space's standalone one, or the supernet restricted to it (said in `log`). */
export function createScratchNetwork(
  space: SearchSpace,
  arch: Architecture,
  input: InputSpec,
  rng: Rng,
  options: Record<string, unknown>,
  log: (message: string) => void,
): Network {
  if (space.createNetwork) return space.createNetwork(arch, input, rng, options);
  if (Object.keys(options).length > 0) {
    throw new ConfigError(`space '${space.name}' has no standalone network, so it takes no network options (got ${Object.keys(options).join(', ')})`);
  }
  log(`space '${space.name}' has no standalone network: training its supernet restricted to the architecture, with fresh weights`);
  return new SupernetChild(space.createSupernet(input, rng), arch);
}

/** Zero a random `length` x `length` square (clipped at the border) of every image, as DARTS's Cutout. */
export function cutoutMask(batch: number, height: number, width: number, length: number, rng: Rng): Float32Array {
  const mask = new Float32Array(batch * height * width).fill(1);
  if (length <= 0) return mask;
  for (let b = 0; b < batch; b++) {
    const cy = rng.int(height);
    const cx = rng.int(width);
    const y1 = Math.max(cy - Math.floor(length / 2), 0);
    const y2 = Math.min(cy + Math.floor(length / 2), height);
    const x1 = Math.max(cx - Math.floor(length / 2), 0);
    const x2 = Math.min(cx + Math.floor(length / 2), width);
    for (let y = y1; y < y2; y++) mask.fill(0, (b * height + y) * width + x1, (b * height + y) * width + x2);
  }
  return mask;
}

export interface ScratchEpochStats {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  learningRate: number;
  dropPath: number;
  seconds: number;
}

/** Epochs of SGD on one standalone network, checkpointed as the supernet trainer. */
export class ScratchTrainer extends EpochTrainer<ScratchEpochStats & { steps: number }> {
  readonly history: ScratchEpochStats[] = [];

  declare readonly cfg: ScratchTrainConfig;

  /** Trains in phase `train`. */
  constructor(private readonly network: Network, setup: Omit<TrainerSetup<ScratchTrainConfig>, 'phase'>, services: RunServices) {
    super(network.store, { ...setup, phase: 'train' }, services);
    this.registerCheckpoint();
  }

  /** Train until `cfg.epochs` epochs are done (continuing a resumed run). */
  async train(): Promise<{ stopped: boolean }> {
    const { stopped } = await this.runEpochs(
      Math.max(this.cfg.epochs - this.epochsDone, 0),
      this.cfg.epochs,
      () => this.trainEpoch(),
      ({ epoch, loss, trainAccuracy, learningRate, dropPath, seconds }) =>
        void this.history.push({ epoch, loss, trainAccuracy, learningRate, dropPath, seconds }),
    );
    return { stopped };
  }

  /** Top-1 accuracy in [0, 1] on `set` (eval mode). */
  async accuracy(set: ImageSet): Promise<number> {
    const correct = await countCorrect(set, this.data.input, this.cfg.evalBatchSize, (x) => this.network.forward(x, 'eval').logits);
    return correct / Math.max(set.count, 1);
  }

  protected override captureOwn(): Record<string, unknown> {
    return { history: [...this.history] };
  }

  protected override restoreOwn(saved: Record<string, unknown>): void {
    this.history.splice(0, this.history.length, ...(saved.history as ScratchEpochStats[]));
  }

  private async trainEpoch(): Promise<ScratchEpochStats & { steps: number }> {
    const epoch = this.epochsDone;
    const dropPath = (this.cfg.dropPath * epoch) / Math.max(this.cfg.epochs, 1);
    const names = this.network.paramNames();
    const vars = names.map((n) => this.store.get(n));
    const nameOfVar = new Map(vars.map((v, i) => [v.name, names[i]]));
    const s = await this.runEpoch(this.cfg.epochs, (batch, at) => this.step(batch, at, dropPath, vars, nameOfVar));
    return { ...s, dropPath };
  }

  /** One SGD step with cutout, drop-path and the auxiliary head's loss. */
  private async step(
    batch: Batch,
    { epoch, step, lr }: StepAt,
    dropPath: number,
    vars: tf.Variable[],
    nameOfVar: ReadonlyMap<string, string>,
  ): Promise<void> {
    const { height, width } = this.data.input;
    const grads: tf.NamedTensorMap = {};
    try {
      const x =
        this.cfg.cutout > 0
          ? tf.tidy(() =>
              tf.mul(batch.x, tf.tensor4d(cutoutMask(batch.size, height, width, this.cfg.cutout, Rng.derive(this.seed, 'cutout', epoch, step)), [batch.size, height, width, 1])),
            )
          : batch.x;
      const forward: NetworkForwardOptions = { dropPath, rng: Rng.derive(this.seed, 'drop-path', epoch, step) };
      const smoothing = this.cfg.labelSmoothing ?? 0;
      const { loss, correct, grads: g } = lossAndGradients(() => {
        const out = this.network.forward(x as tf.Tensor4D, 'train', forward);
        const main = crossEntropy(out.logits, batch.y, smoothing);
        return {
          logits: out.logits,
          loss:
            out.auxLogits && this.cfg.auxiliaryWeight > 0
              ? (tf.add(main, tf.mul(crossEntropy(out.auxLogits, batch.y, smoothing), this.cfg.auxiliaryWeight)) as tf.Scalar)
              : main,
        };
      }, batch.y, vars);
      if (x !== batch.x) x.dispose();
      for (const [tfName, t] of Object.entries(g)) grads[nameOfVar.get(tfName) as string] = t;
      const [lossValue, correctValue] = await readScalars([loss, correct]);
      this.checkFinite(lossValue);
      this.applyGradients(grads, lr);
      this.count(lossValue, correctValue, batch.size);
    } finally {
      for (const t of Object.values(grads)) t.dispose();
    }
  }
}
