/**
 * The weight-sharing supernet of a MobileNet-style chain space: the fixed
 * stem, first block, final conv and classifier, and one MBConv block per
 * candidate of every layer (identity has no weights). A forward pass runs
 * one child (single path) or a weighted mixture of candidates per layer.
 */
import {
  Architecture,
  ArchitectureError,
  BatchNorm,
  ChoicePoint,
  Conv2d,
  ForwardMode,
  globalAvgPool,
  InputSpec,
  Linear,
  Mixture,
  ParamStore,
  relu6,
  Rng,
  Supernet,
  tf,
} from '@absnas/core';
import { MBConv } from './blocks';
import { MobileNetOptions, names, Plan, plan, Skeleton, skeleton } from './macro';
import { validateArchitecture } from './notation';
import { isIdentity, mbconvSpec } from './ops';

export class MobileNetSupernet implements Supernet {
  readonly store: ParamStore;
  readonly skeleton: Skeleton;
  readonly plan: Plan;
  readonly stemConv: Conv2d;
  readonly stemBn: BatchNorm;
  readonly first: MBConv;
  /** Per layer, the block of every MBConv candidate. */
  readonly blocks: Map<string, MBConv>[];
  readonly finalConv: Conv2d;
  readonly finalBn: BatchNorm;
  readonly classifier: Linear;

  constructor(
    readonly options: MobileNetOptions,
    readonly points: readonly ChoicePoint[],
    readonly input: InputSpec,
    rng: Rng,
  ) {
    this.skeleton = skeleton(options);
    this.plan = plan(options, this.skeleton, input);
    const sk = this.skeleton;
    // parameters are created in forward order: the store's canonical order
    this.store = new ParamStore(rng);
    this.stemConv = new Conv2d(this.store, names.stemConv, input.channels, sk.stem, 3, this.plan.stemStride, 1);
    this.stemBn = new BatchNorm(this.store, names.stemBn, sk.stem, true);
    this.first = new MBConv(this.store, names.first, sk.stem, sk.first, 3, 1, 1);
    this.blocks = sk.layers.map((l, i) => {
      const m = new Map<string, MBConv>();
      for (const op of l.candidates) {
        const spec = mbconvSpec(op);
        if (!spec) continue;
        m.set(op, new MBConv(this.store, names.block(i, op), l.cin, l.cout, spec.kernel, spec.expansion, this.plan.layers[i].stride));
      }
      return m;
    });
    const lastIn = sk.layers[sk.layers.length - 1].cout;
    this.finalConv = new Conv2d(this.store, names.finalConv, lastIn, sk.last, 1, 1, 0);
    this.finalBn = new BatchNorm(this.store, names.finalBn, sk.last, true);
    this.classifier = new Linear(this.store, names.classifier, sk.last, input.numClasses, true);
  }

  forward(x: tf.Tensor4D, arch: Architecture, mode: ForwardMode): tf.Tensor2D {
    validateArchitecture(arch, this.points);
    if (x.rank !== 4 || x.shape[1] !== this.input.height || x.shape[2] !== this.input.width || x.shape[3] !== this.input.channels) {
      throw new Error(
        `mobilenet supernet: expected NHWC input [*, ${this.input.height}, ${this.input.width}, ${this.input.channels}], got [${x.shape}]`,
      );
    }
    return tf.tidy(() => {
      let h = relu6(this.stemBn.apply(this.stemConv.apply(x), mode));
      h = this.first.apply(h, mode);
      arch.forEach((op, i) => {
        if (!isIdentity(op)) h = this.block(i, op).apply(h, mode);
      });
      h = relu6(this.finalBn.apply(this.finalConv.apply(h), mode));
      return this.classifier.apply(globalAvgPool(h));
    });
  }

  /**
   * A weighted mixture of candidates in every layer: layer i outputs
   * sum_k weights[i][k] * op_k(input), identity giving its input (all the
   * candidates of a layer have the same output shape). ProxylessNAS mixes
   * two sampled candidates under binary gates; DARTS-style searchers all.
   */
  forwardMixture(x: tf.Tensor4D, mixture: Mixture, mode: ForwardMode): tf.Tensor2D {
    this.validateMixtureOps(mixture.ops);
    if (mixture.weights.length !== mixture.ops.length) {
      throw new Error(`mobilenet supernet: ${mixture.weights.length} weight vectors for ${mixture.ops.length} layers`);
    }
    mixture.ops.forEach((ops, i) => {
      if (mixture.weights[i].size !== ops.length) {
        throw new Error(`mobilenet supernet: layer${i}: ${mixture.weights[i].size} weights for ${ops.length} candidates`);
      }
    });
    return tf.tidy(() => {
      let h = relu6(this.stemBn.apply(this.stemConv.apply(x), mode));
      h = this.first.apply(h, mode);
      mixture.ops.forEach((ops, i) => {
        const input = h;
        const w = mixture.weights[i];
        const outs = ops.map((op, k) =>
          tf.mul<tf.Tensor4D>(isIdentity(op) ? input : this.block(i, op).apply(input, mode), tf.slice(w, [k], [1])),
        );
        h = outs.length === 1 ? outs[0] : (tf.addN(outs) as tf.Tensor4D);
      });
      h = relu6(this.finalBn.apply(this.finalConv.apply(h), mode));
      return this.classifier.apply(globalAvgPool(h));
    });
  }

  /** The trainable parameters a mixture over `ops` uses, in the store's canonical order. */
  paramsOfMixture(ops: readonly (readonly string[])[]): string[] {
    this.validateMixtureOps(ops);
    const used = new Set(this.fixedParamNames());
    ops.forEach((list, i) => {
      for (const op of list) if (!isIdentity(op)) for (const n of this.block(i, op).paramNames()) used.add(n);
    });
    return [...this.store.params.keys()].filter((n) => used.has(n));
  }

  private validateMixtureOps(ops: readonly (readonly string[])[]): void {
    if (ops.length !== this.points.length) {
      throw new ArchitectureError(`space-mobilenet: a mixture needs candidate lists for ${this.points.length} layers, got ${ops.length}`);
    }
    ops.forEach((list, i) => {
      if (list.length === 0) throw new ArchitectureError(`space-mobilenet: ${this.points[i].id}: empty mixture`);
      for (const op of list) {
        if (!this.points[i].candidates.includes(op)) {
          throw new ArchitectureError(
            `space-mobilenet: ${this.points[i].id}: '${op}' is not allowed here; allowed: ${this.points[i].candidates.join(', ')}`,
          );
        }
      }
    });
  }

  private fixedParamNames(): string[] {
    return [
      `${names.stemConv}.weight`,
      `${names.stemBn}.gamma`,
      `${names.stemBn}.beta`,
      ...this.first.paramNames(),
      `${names.finalConv}.weight`,
      `${names.finalBn}.gamma`,
      `${names.finalBn}.beta`,
      `${names.classifier}.weight`,
      `${names.classifier}.bias`,
    ];
  }

  block(layer: number, op: string): MBConv {
    const b = this.blocks[layer].get(op);
    if (!b) throw new Error(`mobilenet supernet: layer ${layer} has no block '${op}'`);
    return b;
  }

  /** The child's trainable parameters, in the store's canonical order. */
  paramsOf(arch: Architecture): string[] {
    validateArchitecture(arch, this.points);
    const used = new Set<string>(this.fixedParamNames());
    arch.forEach((op, i) => {
      if (!isIdentity(op)) for (const n of this.block(i, op).paramNames()) used.add(n);
    });
    return [...this.store.params.keys()].filter((n) => used.has(n));
  }

  batchNorms(): BatchNorm[] {
    return [
      this.stemBn,
      ...this.first.batchNorms(),
      ...this.blocks.flatMap((m) => [...m.values()].flatMap((b) => b.batchNorms())),
      this.finalBn,
    ];
  }

  resetBatchNormStats(): void {
    for (const bn of this.batchNorms()) bn.resetStats();
  }

  dispose(): void {
    this.store.dispose();
  }
}
