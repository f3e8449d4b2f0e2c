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
import { DartsOptions, MacroPlan, activeCells, macroPlan, names } from './macro';
import { DARTS_OPS, EDGES, MULTIPLIER, NUM_EDGES } from './topology';

/** Where an active cell reads its two inputs: the output of a cell, or the stem (-1). */
interface CellWiring {
  cell: number;
  s0: number;
  s1: number;
}

export class DartsSupernet implements Supernet {
  readonly store: ParamStore;
  readonly plan: MacroPlan;
  readonly stemConv: Conv2d;
  readonly stemBn: BatchNorm;
  readonly cells: SearchCell[];
  readonly classifier: Linear;
  /** The cells that run and what they read (all of them, each reading the two before it, unless `depth` says fewer). */
  private wiring: CellWiring[];
  /** Progressive depth, for the ABS DARTS reference's warm-up (see activeCells). */
  readonly depth = {
    cells: 0,
    setActive: (count: number): void => {
      this.wiring = this.wire(activeCells(this.plan.cells.length, count));
    },
  };

  constructor(readonly options: DartsOptions, readonly input: InputSpec, rng: Rng) {
    this.plan = macroPlan(options.channels, options.layers, options.stemMultiplier, input);
    this.store = new ParamStore(rng, options.init);
    this.stemConv = new Conv2d(this.store, names.stemConv, input.channels, this.plan.stemChannels, 3, 1, 1);
    this.stemBn = new BatchNorm(this.store, names.stemBn, this.plan.stemChannels, true);
    this.cells = this.plan.cells.map((p) => new SearchCell(this.store, p, options.affine));
    this.classifier = new Linear(this.store, names.classifier, this.plan.finalChannels, input.numClasses, true);
    this.depth.cells = this.plan.cells.length;
    this.wiring = this.wire(this.plan.cells.map((c) => c.index));
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
    const out = new Map<number, Maybe>([[-1, this.stemBn.apply(this.stemConv.apply(x), mode)]]);
    for (const w of this.wiring) out.set(w.cell, cellForward(this.cells[w.cell], out.get(w.s0) as Maybe, out.get(w.s1) as Maybe));
    const last = out.get(this.wiring[this.wiring.length - 1].cell) as Maybe;
    const pooled = last ? globalAvgPool(last) : (tf.zeros([x.shape[0], this.plan.finalChannels]) as tf.Tensor2D);
    return this.classifier.apply(pooled);
  }

  /**
   * The parameters a forward pass computes with (a superset of those that
   * receive a gradient): stem and classifier, and in every active cell the
   * preprocessing of existing inputs and the listed operators on edges
   * leaving existing nodes. In the store's canonical order.
   */
  private usedParams(ops: readonly (readonly string[])[]): string[] {
    const used = new Set<string>([`${names.stemConv}.weight`, `${names.stemBn}.gamma`, `${names.stemBn}.beta`]);
    const exists = new Map<number, boolean>([[-1, true]]);
    for (const w of this.wiring) {
      const cell = this.cells[w.cell];
      const offset = cell.plan.reduction ? NUM_EDGES : 0;
      const { params, out } = cell.usedParams(exists.get(w.s0) as boolean, exists.get(w.s1) as boolean, ops.slice(offset, offset + NUM_EDGES));
      for (const n of params) used.add(n);
      exists.set(w.cell, out);
    }
    used.add(`${names.classifier}.weight`);
    used.add(`${names.classifier}.bias`);
    return [...this.store.params.keys()].filter((n) => used.has(n));
  }

  /**
   * The inputs of the given cells (ascending) when only they run: each reads
   * the outputs of the two active cells before it (or the stem); a cell whose
   * first input does not have the channels and size its preprocessing was
   * built for reads its second input twice, as the reference's reduction
   * cells do while the supernet grows. At full depth: the plan's wiring.
   */
  private wire(active: readonly number[]): CellWiring[] {
    const shape = (src: number): { c: number; h: number } =>
      src < 0 ? { c: this.plan.stemChannels, h: this.input.height } : { c: MULTIPLIER * this.plan.cells[src].c, h: this.plan.cells[src].outHeight };
    let [s0, s1] = [-1, -1];
    return active.map((i) => {
      const p = this.plan.cells[i];
      const fits = (src: number, c: number, h: number): boolean => shape(src).c === c && shape(src).h === h;
      if (!fits(s1, p.cPrev, p.inHeight)) throw new Error(`darts supernet: cell ${i} cannot run after cell ${s1} (progressive depth)`);
      const first = p.reductionPrev ? 2 * p.inHeight : p.inHeight;
      const w = { cell: i, s0: fits(s0, p.cPrevPrev, first) ? s0 : s1, s1 };
      if (!fits(w.s0, p.cPrevPrev, first)) throw new Error(`darts supernet: cell ${i} cannot read cell ${s0} (progressive depth)`);
      [s0, s1] = [s1, i];
      return w;
    });
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
