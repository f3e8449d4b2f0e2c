/**
 * The weight-sharing supernet of the DARTS space (DARTS's search Network):
 * stem, `layers` search cells with every operator on every edge (own
 * weights per cell), global pooling and a classifier. It runs one child
 * (an operator per edge; `none` edges drop out) or a DARTS mixture (the
 * weighted sum of each edge's listed candidates). A one-hot mixture equals
 * the single path, except that a node without inputs is absent from a single
 * path while a mixture runs the listed operators on it as zeros (equal in
 * train mode; eval-mode BN turns the zeros into its shift).
 */
import {
  Architecture,
  BatchNorm,
  Conv2d,
  ForwardMode,
  InputSpec,
  Linear,
  Mixture,
  ParamStore,
  Rng,
  Supernet,
  globalAvgPool,
  tf,
} from '@absnas/core';
import { Maybe, SearchCell } from './cell';
import { validateArchitecture } from './genotype';
import { DartsOptions, MacroPlan, macroPlan, names } from './macro';
import { DARTS_OPS, EDGES, NUM_EDGES } from './topology';

export class DartsSupernet implements Supernet {
  readonly store: ParamStore;
  readonly plan: MacroPlan;
  readonly stemConv: Conv2d;
  readonly stemBn: BatchNorm;
  readonly cells: SearchCell[];
  readonly classifier: Linear;

  constructor(readonly options: DartsOptions, readonly input: InputSpec, rng: Rng) {
    this.plan = macroPlan(options.channels, options.layers, options.stemMultiplier, input);
    this.store = new ParamStore(rng, options.init);
    this.stemConv = new Conv2d(this.store, names.stemConv, input.channels, this.plan.stemChannels, 3, 1, 1);
    this.stemBn = new BatchNorm(this.store, names.stemBn, this.plan.stemChannels, true);
    this.cells = this.plan.cells.map((p) => new SearchCell(this.store, p));
    this.classifier = new Linear(this.store, names.classifier, this.plan.finalChannels, input.numClasses, true);
  }

  forward(x: tf.Tensor4D, arch: Architecture, mode: ForwardMode): tf.Tensor2D {
    validateArchitecture(arch);
    this.checkInput(x);
    return tf.tidy(() =>
      this.run(x, mode, (cell, s0, s1) => {
        const offset = cell.plan.reduction ? NUM_EDGES : 0;
        return cell.apply(s0, s1, arch.slice(offset, offset + NUM_EDGES), mode);
      }),
    );
  }

  /**
   * DARTS's mixed operators: on every edge of every cell, sum_k w_k op_k(x)
   * over the edge's listed candidates. The mixture has 28 entries (normal
   * cell edges, then reduction cell edges), shared by all cells of a type.
   * `mixture.dropout` drops the outputs of the listed operators (identity
   * skip-connections only, for `skip_connect`) in 'train' mode.
   */
  forwardMixture(x: tf.Tensor4D, mixture: Mixture, mode: ForwardMode): tf.Tensor2D {
    validateMixture(mixture);
    this.checkInput(x);
    return tf.tidy(() =>
      this.run(x, mode, (cell, s0, s1) => {
        const offset = cell.plan.reduction ? NUM_EDGES : 0;
        return cell.applyMixture(
          s0,
          s1,
          mixture.ops.slice(offset, offset + NUM_EDGES),
          mixture.weights.slice(offset, offset + NUM_EDGES),
          mode,
          mixture.dropout,
        );
      }),
    );
  }

  paramsOf(arch: Architecture): string[] {
    validateArchitecture(arch);
    return this.usedParams(arch.map((op) => [op]));
  }

  paramsOfMixture(ops: readonly (readonly string[])[]): string[] {
    validateMixtureOps(ops);
    return this.usedParams(ops);
  }

  batchNorms(): BatchNorm[] {
    return [this.stemBn, ...this.cells.flatMap((c) => c.batchNorms())];
  }

  resetBatchNormStats(): void {
    for (const bn of this.batchNorms()) bn.resetStats();
  }

  dispose(): void {
    this.store.dispose();
  }

  private run(x: tf.Tensor4D, mode: ForwardMode, cellForward: (cell: SearchCell, s0: Maybe, s1: Maybe) => Maybe): tf.Tensor2D {
    const stem = this.stemBn.apply(this.stemConv.apply(x), mode);
    let s0: Maybe = stem;
    let s1: Maybe = stem;
    for (const cell of this.cells) [s0, s1] = [s1, cellForward(cell, s0, s1)];
    const pooled = s1 ? globalAvgPool(s1) : (tf.zeros([x.shape[0], this.plan.finalChannels]) as tf.Tensor2D);
    return this.classifier.apply(pooled);
  }

  /**
   * The parameters a forward pass computes with (a superset of those that
   * receive a gradient): stem and classifier, and in every cell the
   * preprocessing of existing inputs and the listed operators on edges
   * leaving existing nodes. In the store's canonical order.
   */
  private usedParams(ops: readonly (readonly string[])[]): string[] {
    const used = new Set<string>([`${names.stemConv}.weight`, `${names.stemBn}.gamma`, `${names.stemBn}.beta`]);
    let in0 = true;
    let in1 = true;
    for (const cell of this.cells) {
      const offset = cell.plan.reduction ? NUM_EDGES : 0;
      const { params, out } = cell.usedParams(in0, in1, ops.slice(offset, offset + NUM_EDGES));
      for (const n of params) used.add(n);
      [in0, in1] = [in1, out];
    }
    used.add(`${names.classifier}.weight`);
    used.add(`${names.classifier}.bias`);
    return [...this.store.params.keys()].filter((n) => used.has(n));
  }

  private checkInput(x: tf.Tensor4D): void {
    if (x.rank !== 4 || x.shape[1] !== this.input.height || x.shape[2] !== this.input.width || x.shape[3] !== this.input.channels) {
      throw new Error(
        `darts supernet: expected NHWC input [batch, ${this.input.height}, ${this.input.width}, ${this.input.channels}], got [${x.shape}]`,
      );
    }
  }
}

const pointName = (i: number): string => `${i < NUM_EDGES ? 'normal' : 'reduce'}:${EDGES[i % NUM_EDGES].id}`;

function validateMixture(mixture: Mixture): void {
  validateMixtureOps(mixture.ops);
  const { ops, weights } = mixture;
  if (!Array.isArray(weights) || weights.length !== 2 * NUM_EDGES) {
    throw new Error(`a DARTS mixture has a weight vector for each of the ${2 * NUM_EDGES} edges, got ${weights?.length}`);
  }
  weights.forEach((w, i) => {
    if (w.rank !== 1 || w.shape[0] !== ops[i].length) {
      throw new Error(`mixture: edge ${pointName(i)} lists ${ops[i].length} operator(s) but has weights of shape [${w.shape}]`);
    }
  });
}

function validateMixtureOps(ops: readonly (readonly string[])[]): void {
  if (!Array.isArray(ops) || ops.length !== 2 * NUM_EDGES) {
    throw new Error(`a DARTS mixture lists operators for ${2 * NUM_EDGES} edges, got ${Array.isArray(ops) ? ops.length : typeof ops}`);
  }
  ops.forEach((list, i) => {
    if (list.length === 0) throw new Error(`mixture: edge ${pointName(i)} lists no operator`);
    if (new Set(list).size !== list.length) throw new Error(`mixture: edge ${pointName(i)} lists an operator twice`);
    for (const op of list) {
      if (!(DARTS_OPS as readonly string[]).includes(op)) {
        throw new Error(`mixture: unknown operator '${op}' on edge ${pointName(i)} (expected one of ${DARTS_OPS.join(', ')})`);
      }
    }
  });
}
