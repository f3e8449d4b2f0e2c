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
import type { Checkpointable } from '../checkpoint/checkpointer';
import { NumericalError, RunInterrupted } from '../checkpoint/interrupt';
import { displayPath, type OriginFn } from '../config/load';
import { trainConfigSchema } from '../config/schema';
import type { DataConfig, PluginRef, RunConfig, TrainConfig } from '../config/types';
import { validateCoreConfig } from '../config/validate';
import { batches } from '../data/batches';
import type { DataSplits, ImageSet } from '../data/dataset';
import type { HookBus } from '../hooks/hooks';
import type { JsonSchema } from '../plugin/plugin';
import type { Architecture, InputSpec, Network, NetworkForwardOptions, SearchSpace, Supernet } from '../space/search-space';
import { ConfigError } from '../util/errors';
import type { Progress } from '../util/progress';
import { Rng } from '../util/rng';
import { correctCount, crossEntropy } from './loss';
import { learningRateAt } from './schedule';
import { clipGlobalNorm, Sgd, weightDecayFilter } from './sgd';
import { TrainerControl, yieldToEventLoop } from './trainer';

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

interface ScratchState {
  epochsDone: number;
  stepInEpoch: number;
  lossSum: number;
  correctSum: number;
  seen: number;
  seed: number;
  history: ScratchEpochStats[];
}

/** Epochs of SGD on one standalone network, checkpointed as the supernet trainer. */
export class ScratchTrainer implements Checkpointable {
  readonly sgd: Sgd;
  epochsDone = 0;
  readonly history: ScratchEpochStats[] = [];
  private stepInEpoch = 0;
  private lossSum = 0;
  private correctSum = 0;
  private seen = 0;
  private seed: number;
  private readonly key: string;

  constructor(
    private readonly network: Network,
    private readonly data: DataSplits,
    readonly cfg: ScratchTrainConfig,
    rng: Rng,
    private readonly hooks: HookBus,
    private readonly progress: Progress,
    private readonly control: TrainerControl = {},
  ) {
    this.sgd = new Sgd({
      momentum: cfg.momentum,
      nesterov: cfg.nesterov,
      weightDecay: cfg.weightDecay,
      decays: weightDecayFilter(cfg.weightDecayScope, network.store),
    });
    this.seed = rng.nextUint32();
    this.key = control.key ?? 'train/trainer';
    control.checkpoints?.register(this.key, this);
  }

  stepsPerEpoch(): number {
    const full = Math.floor(this.data.train.count / this.cfg.batchSize);
    return this.cfg.stepsPerEpoch > 0 ? Math.min(this.cfg.stepsPerEpoch, full) : full;
  }

  /** Train until `cfg.epochs` epochs are done (continuing a resumed run). */
  async train(): Promise<{ stopped: boolean }> {
    while (this.epochsDone < this.cfg.epochs) {
      const s = await this.trainEpoch();
      this.history.push(s);
      this.epochsDone++;
      this.stepInEpoch = 0;
      this.lossSum = this.correctSum = this.seen = 0;
      const control = await this.hooks.series('onEpochEnd', {
        phase: 'train',
        epoch: this.epochsDone,
        epochs: this.cfg.epochs,
        loss: s.loss,
        trainAccuracy: s.trainAccuracy,
        learningRate: s.learningRate,
        seconds: s.seconds,
      });
      this.control.checkpoints?.save(`train epoch ${this.epochsDone}`);
      if (control.stop) return { stopped: true };
    }
    return { stopped: false };
  }

  /** Top-1 accuracy in [0, 1] on `set` (eval mode). */
  accuracy(set: ImageSet): number {
    let correct = 0;
    for (const batch of batches(set, this.data.input, this.cfg.evalBatchSize, {})) {
      correct += tf.tidy(() => correctCount(this.network.forward(batch.x, 'eval').logits, batch.y).dataSync()[0]);
      batch.x.dispose();
      batch.y.dispose();
    }
    return correct / Math.max(set.count, 1);
  }

  capture(): { state: ScratchState; tensors: Map<string, Float32Array> } {
    const { epochsDone, stepInEpoch, lossSum, correctSum, seen, seed, history } = this;
    const tensors = new Map<string, Float32Array>();
    for (const [name, data] of Object.entries(this.sgd.getState())) tensors.set(`velocity/${name}`, data);
    for (const [name, data] of this.network.store.snapshot()) tensors.set(`params/${name}`, data);
    for (const [name, data] of this.network.store.snapshotBuffers()) tensors.set(`buffers/${name}`, data);
    return { state: { epochsDone, stepInEpoch, lossSum, correctSum, seen, seed, history }, tensors };
  }

  restore(saved: unknown, tensors: ReadonlyMap<string, Float32Array>): void {
    const { history, ...s } = saved as ScratchState;
    Object.assign(this, s);
    this.history.splice(0, this.history.length, ...history);
    const pick = (prefix: string): Map<string, Float32Array> =>
      new Map([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    this.network.store.load(pick('params/'), 'params');
    this.network.store.load(pick('buffers/'), 'buffers');
    this.sgd.setState(Object.fromEntries(pick('velocity/')), this.network.store.params);
  }

  dispose(): void {
    this.control.checkpoints?.unregister(this.key);
    this.sgd.dispose();
  }

  private async trainEpoch(): Promise<ScratchEpochStats> {
    const began = Date.now();
    const steps = this.stepsPerEpoch();
    if (steps < 1) throw new Error(`training split has ${this.data.train.count} images, fewer than one batch of ${this.cfg.batchSize}`);
    const epoch = this.epochsDone;
    const lr = learningRateAt(this.cfg, epoch / Math.max(this.cfg.epochs, 1));
    const dropPath = (this.cfg.dropPath * epoch) / Math.max(this.cfg.epochs, 1);
    const task = this.progress.start(`train epoch ${epoch + 1}/${this.cfg.epochs}`, steps);
    if (this.stepInEpoch > 0) task.tick(this.stepInEpoch);
    const names = this.network.paramNames();
    const params = this.network.store.params;
    const vars = names.map((n) => params.get(n) as tf.Variable);
    const nameOfVar = new Map(vars.map((v, i) => [v.name, names[i]]));
    const { height, width } = this.data.input;
    for (const batch of batches(this.data.train, this.data.input, this.cfg.batchSize, {
      rng: Rng.derive(this.seed, 'order', epoch),
      augment: this.cfg.augment,
      dropLast: true,
      limit: steps,
      startBatch: this.stepInEpoch,
    })) {
      const step = this.stepInEpoch;
      const grads: tf.NamedTensorMap = {};
      try {
        const x =
          this.cfg.cutout > 0
            ? tf.tidy(() =>
                tf.mul(batch.x, tf.tensor4d(cutoutMask(batch.size, height, width, this.cfg.cutout, Rng.derive(this.seed, 'cutout', epoch, step)), [batch.size, height, width, 1])),
              )
            : batch.x;
        const forward: NetworkForwardOptions = { dropPath, rng: Rng.derive(this.seed, 'drop-path', epoch, step) };
        let logits: tf.Tensor2D | undefined;
        const { value, grads: g } = tf.variableGrads(() => {
          const out = this.network.forward(x as tf.Tensor4D, 'train', forward);
          logits = tf.keep(out.logits);
          const loss = crossEntropy(out.logits, batch.y, this.cfg.labelSmoothing ?? 0);
          return out.auxLogits && this.cfg.auxiliaryWeight > 0
            ? (tf.add(loss, tf.mul(crossEntropy(out.auxLogits, batch.y, this.cfg.labelSmoothing ?? 0), this.cfg.auxiliaryWeight)) as tf.Scalar)
            : loss;
        }, vars);
        if (x !== batch.x) x.dispose();
        for (const [tfName, t] of Object.entries(g)) grads[nameOfVar.get(tfName) as string] = t;
        const lossValue = value.dataSync()[0];
        value.dispose();
        this.correctSum += tf.tidy(() => correctCount(logits as tf.Tensor2D, batch.y).dataSync()[0]);
        (logits as tf.Tensor2D | undefined)?.dispose();
        if (!Number.isFinite(lossValue)) {
          const last = this.control.checkpoints?.lastSaved;
          throw new NumericalError(
            `train epoch ${epoch + 1}, step ${step + 1}: the loss is ${lossValue}; stopped before applying this step (last good checkpoint: ${last ?? 'none yet'})`,
          );
        }
        clipGlobalNorm(grads, this.cfg.gradientClip);
        this.sgd.step(params, grads, lr);
        this.lossSum += lossValue * batch.size;
        this.seen += batch.size;
      } finally {
        for (const t of Object.values(grads)) t.dispose();
        batch.x.dispose();
        batch.y.dispose();
      }
      this.stepInEpoch++;
      task.tick();
      await yieldToEventLoop();
      const reason = this.control.interruption?.requested;
      if (reason) {
        this.control.checkpoints?.save(`interrupted (${reason}) in train epoch ${epoch + 1}, step ${this.stepInEpoch}`);
        const where = this.control.checkpoints?.lastSaved;
        throw new RunInterrupted(`interrupted by ${reason}${where ? `; checkpoint saved: ${where}` : ''}`);
      }
    }
    const loss = this.lossSum / Math.max(this.seen, 1);
    const trainAccuracy = this.correctSum / Math.max(this.seen, 1);
    const seconds = (Date.now() - began) / 1000;
    task.done(`loss ${loss.toFixed(3)} acc ${(100 * trainAccuracy).toFixed(1)}% lr ${lr.toPrecision(3)}`);
    return { epoch: epoch + 1, loss, trainAccuracy, learningRate: lr, dropPath, seconds };
  }
}
