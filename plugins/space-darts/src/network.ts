/**
 * A standalone DARTS network for training an architecture from scratch
 * (DARTS's NetworkCIFAR): the cells of the architecture with affine BN,
 * drop-path on non-identity branches, and optionally the auxiliary head
 * after the cell at 2/3 depth (weight 0.4 in the DARTS recipe).
 */
import {
  Architecture,
  BatchNorm,
  ConfigError,
  Conv2d,
  ForwardMode,
  InputSpec,
  Linear,
  Network,
  NetworkForwardOptions,
  NetworkOutput,
  ParamStore,
  relu,
  Rng,
  globalAvgPool,
  tf,
} from '@absnas/core';
import { FixedCell, Maybe } from './cell';
import { validateArchitecture } from './genotype';
import { MacroPlan, macroPlan, names } from './macro';
import { NUM_EDGES } from './topology';

export interface NetworkOptions {
  /** C (DARTS evaluation on CIFAR-10: 36). */
  channels: number;
  /** Cells (20). */
  layers: number;
  /** Stem channels = stemMultiplier x C (3). */
  stemMultiplier: number;
  /** The auxiliary head after the cell at 2/3 depth. */
  auxiliary: boolean;
}

const NETWORK_KEYS = ['channels', 'layers', 'stemMultiplier', 'auxiliary'];

/** Network options with defaults, validated (unknown keys refused). */
export function resolveNetworkOptions(options: Record<string, unknown>, defaults: NetworkOptions): NetworkOptions {
  for (const k of Object.keys(options)) {
    if (!NETWORK_KEYS.includes(k)) throw new ConfigError(`space-darts network: unknown option '${k}' (known: ${NETWORK_KEYS.join(', ')})`);
  }
  const o = { ...defaults, ...options } as NetworkOptions;
  for (const k of ['channels', 'layers', 'stemMultiplier'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new ConfigError(`space-darts network: option '${k}' must be an integer >= 1, got ${JSON.stringify(o[k])}`);
  }
  if (typeof o.auxiliary !== 'boolean') throw new ConfigError(`space-darts network: option 'auxiliary' must be a boolean, got ${JSON.stringify(o.auxiliary)}`);
  return o;
}

/**
 * DARTS's AuxiliaryHeadCIFAR: ReLU, 5x5 average pooling with stride 3 (an 8x8
 * map becomes 2x2), 1x1 conv to 128 + BN + ReLU, 2x2 conv to 768 + BN + ReLU,
 * linear. On maps smaller than 8x8 the pooling window and the last conv
 * shrink to fit.
 */
class AuxiliaryHead {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm;
  readonly classifier: Linear;
  private readonly pool: number;

  constructor(store: ParamStore, readonly name: string, c: number, side: number, classes: number) {
    this.pool = Math.min(5, side);
    const pooled = Math.floor((side - this.pool) / 3) + 1;
    const k = Math.min(2, pooled);
    this.conv1 = new Conv2d(store, `${name}.conv1`, c, 128, 1, 1, 0);
    this.bn1 = new BatchNorm(store, `${name}.bn1`, 128, true);
    this.conv2 = new Conv2d(store, `${name}.conv2`, 128, 768, k, 1, 0);
    this.bn2 = new BatchNorm(store, `${name}.bn2`, 768, true);
    this.classifier = new Linear(store, `${name}.classifier`, 768, classes, true);
  }

  apply(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor2D {
    let h = tf.avgPool(relu(x), this.pool, 3, 'valid');
    h = relu(this.bn1.apply(this.conv1.apply(h), mode));
    h = relu(this.bn2.apply(this.conv2.apply(h), mode));
    return this.classifier.apply(globalAvgPool(h));
  }

  batchNorms(): BatchNorm[] {
    return [this.bn1, this.bn2];
  }
}

export class DartsNetwork implements Network {
  readonly store: ParamStore;
  readonly plan: MacroPlan;
  readonly stemConv: Conv2d;
  readonly stemBn: BatchNorm;
  readonly cells: FixedCell[];
  readonly classifier: Linear;
  readonly auxiliary?: AuxiliaryHead;

  constructor(readonly arch: Architecture, readonly options: NetworkOptions, readonly input: InputSpec, rng: Rng) {
    validateArchitecture(arch);
    this.plan = macroPlan(options.channels, options.layers, options.stemMultiplier, input);
    this.store = new ParamStore(rng);
    this.stemConv = new Conv2d(this.store, names.stemConv, input.channels, this.plan.stemChannels, 3, 1, 1);
    this.stemBn = new BatchNorm(this.store, names.stemBn, this.plan.stemChannels, true);
    this.cells = this.plan.cells.map((p) => {
      const offset = p.reduction ? NUM_EDGES : 0;
      const cell = new FixedCell(this.store, p, arch.slice(offset, offset + NUM_EDGES));
      return cell;
    });
    if (options.auxiliary) {
      const at = this.plan.cells[this.plan.auxiliaryAfter];
      this.auxiliary = new AuxiliaryHead(this.store, names.auxiliary, 4 * at.c, at.outHeight, input.numClasses);
    }
    this.classifier = new Linear(this.store, names.classifier, this.plan.finalChannels, input.numClasses, true);
  }

  forward(x: tf.Tensor4D, mode: ForwardMode, options: NetworkForwardOptions = {}): NetworkOutput {
    const p = mode === 'train' ? options.dropPath ?? 0 : 0;
    if (p > 0 && !options.rng) throw new Error('darts network: drop-path needs a generator (options.rng)');
    const batch = x.shape[0];
    const u = (): Float32Array => {
      const r = options.rng as Rng;
      const out = new Float32Array(batch);
      for (let i = 0; i < batch; i++) out[i] = r.next();
      return out;
    };
    let aux: tf.Tensor2D | undefined;
    const logits = tf.tidy(() => {
      const stem = this.stemBn.apply(this.stemConv.apply(x), mode);
      let s0: Maybe = stem;
      let s1: Maybe = stem;
      this.cells.forEach((cell, i) => {
        [s0, s1] = [s1, cell.apply(s0, s1, mode, p, u)];
        if (i === this.plan.auxiliaryAfter && this.auxiliary && mode === 'train' && s1) aux = tf.keep(this.auxiliary.apply(s1, mode));
      });
      const last = s1 as Maybe;
      const pooled = last ? globalAvgPool(last) : (tf.zeros([batch, this.plan.finalChannels]) as tf.Tensor2D);
      return this.classifier.apply(pooled);
    });
    return aux ? { logits, auxLogits: aux } : { logits };
  }

  paramNames(): string[] {
    return [...this.store.params.keys()];
  }

  /** Every parameter but the auxiliary head's (as DARTS's count_parameters_in_MB). */
  paramCount(): number {
    let n = 0;
    for (const [name, v] of this.store.params) if (!name.startsWith(`${names.auxiliary}.`)) n += v.size;
    return n;
  }

  batchNorms(): BatchNorm[] {
    return [this.stemBn, ...this.cells.flatMap((c) => c.batchNorms()), ...(this.auxiliary?.batchNorms() ?? [])];
  }

  resetBatchNormStats(): void {
    for (const bn of this.batchNorms()) bn.resetStats();
  }

  dispose(): void {
    this.store.dispose();
  }
}
