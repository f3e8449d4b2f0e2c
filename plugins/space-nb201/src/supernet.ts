/**
 * The weight-sharing supernet of the NB201 space: the macro skeleton of
 * macro.ts with a SearchCell (every operator on every edge, own weights per
 * cell) in each cell position. It runs one child (an operator per edge) or
 * a mixture (the weighted sum of each edge's listed operators); a child is
 * the mixture of one operator per edge, so its parameters are the mixture's.
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
  relu,
  Rng,
  Supernet,
  globalAvgPool,
  tf,
} from '@absnas/core';
import { validateArchitecture } from './arch-string';
import { SearchCell, mixtureSkeleton } from './cell';
import { Nb201Options, StageShape, names, stageShapes } from './macro';
import { ResidualReduction } from './reduction';
import { EDGES, NB201_OPS, livePaths } from './topology';

export class Nb201Supernet implements Supernet {
  readonly store: ParamStore;
  readonly stages: StageShape[];
  readonly stemConv: Conv2d;
  readonly stemBn: BatchNorm;
  /** All 3N cells, in order. */
  readonly cells: SearchCell[] = [];
  /** The two reduction blocks (after stage 1 and stage 2). */
  readonly reductions: ResidualReduction[] = [];
  readonly finalBn: BatchNorm;
  readonly classifier: Linear;

  constructor(readonly options: Nb201Options, readonly input: InputSpec, rng: Rng) {
    this.stages = stageShapes(options, input);
    // parameters are created in forward order: the store's canonical order
    this.store = new ParamStore(rng);
    const c0 = this.stages[0].channels;
    this.stemConv = new Conv2d(this.store, names.stemConv, input.channels, c0, 3, 1, 1);
    this.stemBn = new BatchNorm(this.store, names.stemBn, c0, true);
    this.stages.forEach((stage, s) => {
      if (s > 0) {
        const cin = this.stages[s - 1].channels;
        this.reductions.push(new ResidualReduction(this.store, names.reduction(s - 1), cin, stage.channels));
      }
      for (const index of stage.cells) this.cells.push(new SearchCell(this.store, index, stage.channels));
    });
    const cLast = this.stages[this.stages.length - 1].channels;
    this.finalBn = new BatchNorm(this.store, names.finalBn, cLast, true);
    this.classifier = new Linear(this.store, names.classifier, cLast, input.numClasses, true);
  }

  /**
   * One child run by every cell (6 operators), or a per-cell training path
   * (6 operators per cell, cell after cell; see sampling.ts).
   */
  forward(x: tf.Tensor4D, arch: Architecture, mode: ForwardMode): tf.Tensor2D {
    const cells = this.cellArchs(arch);
    return this.run(x, mode, (cell, h) => cell.apply(h, cells[cell.index], mode));
  }

  /**
   * Forward through a mixture: on every edge of every cell, the weighted sum
   * of the listed operators (`none` adds nothing). The weights of an edge are
   * shared by all 3N cells, as DARTS shares its architecture weights.
   */
  forwardMixture(x: tf.Tensor4D, mixture: Mixture, mode: ForwardMode): tf.Tensor2D {
    validateMixture(mixture);
    return this.run(x, mode, (cell, h) => cell.applyMixture(h, mixture.ops, mixture.weights, mode));
  }

  /**
   * The trainable parameters through which the child's output depends on its
   * input, in the store's canonical order: the fixed parts, and the conv
   * weights on edges that lie on an uncut input-to-output path. When every
   * path is cut, every cell outputs zeros and only the final BN and the
   * classifier remain connected.
   */
  paramsOf(arch: Architecture): string[] {
    return this.usedParams(this.cellArchs(arch).map((cell) => cell.map((op) => [op])));
  }

  /** As `paramsOf`, for a mixture over `ops`: every listed conv on an edge that some listed path keeps alive. */
  paramsOfMixture(ops: readonly (readonly string[])[]): string[] {
    validateMixtureOps(ops);
    return this.usedParams(this.cells.map(() => ops));
  }

  /** The operators of every cell: the child's own in each (6 operators), or each cell's slice of a per-cell path. */
  cellArchs(arch: Architecture): Architecture[] {
    const per = EDGES.length;
    if (Array.isArray(arch) && arch.length === per * this.cells.length && arch.length !== per) {
      return this.cells.map((_, c) => {
        const cell = arch.slice(c * per, (c + 1) * per);
        validateArchitecture(cell);
        return cell;
      });
    }
    validateArchitecture(arch);
    return this.cells.map(() => arch);
  }

  batchNorms(): BatchNorm[] {
    return [
      this.stemBn,
      ...this.cells.flatMap((c) => c.batchNorms()),
      ...this.reductions.flatMap((r) => r.batchNorms()),
      this.finalBn,
    ];
  }

  resetBatchNormStats(): void {
    for (const bn of this.batchNorms()) bn.resetStats();
  }

  dispose(): void {
    this.store.dispose();
  }

  /** Stem, stages of cells (each run by `cellForward`) with the reductions between them, final BN, pooling, classifier. */
  private run(x: tf.Tensor4D, mode: ForwardMode, cellForward: (cell: SearchCell, h: tf.Tensor4D) => tf.Tensor4D): tf.Tensor2D {
    if (x.rank !== 4 || x.shape[3] !== this.input.channels) {
      throw new Error(`nb201 supernet: expected NHWC input with ${this.input.channels} channels, got [${x.shape}]`);
    }
    return tf.tidy(() => {
      let h = this.stemBn.apply(this.stemConv.apply(x), mode);
      this.stages.forEach((stage, s) => {
        if (s > 0) h = this.reductions[s - 1].apply(h, mode);
        for (const index of stage.cells) h = cellForward(this.cells[index], h);
      });
      h = relu(this.finalBn.apply(h, mode));
      return this.classifier.apply(globalAvgPool(h));
    });
  }

  /**
   * The parameters of a mixture over each cell's `ops` (a child: one operator
   * per edge), in the store's canonical order. A cell whose every path is cut
   * outputs zeros: nothing before it (cells, reductions, stem) reaches the
   * loss.
   */
  private usedParams(cellOps: readonly (readonly (readonly string[])[])[]): string[] {
    const used = new Set<string>([
      `${names.finalBn}.gamma`,
      `${names.finalBn}.beta`,
      `${names.classifier}.weight`,
      `${names.classifier}.bias`,
    ]);
    let lastCut = -1;
    cellOps.forEach((ops, c) => {
      if (livePaths(mixtureSkeleton(ops)).length === 0) lastCut = c;
    });
    if (lastCut < 0) for (const n of [`${names.stemConv}.weight`, `${names.stemBn}.gamma`, `${names.stemBn}.beta`]) used.add(n);
    this.cells.forEach((cell, c) => {
      if (c > lastCut) for (const n of cell.paramNames(cellOps[c])) used.add(n);
    });
    // reduction r comes before the first cell of stage r + 1
    this.reductions.forEach((r, i) => {
      if (lastCut < this.stages[i + 1].cells[0]) for (const n of r.paramNames()) used.add(n);
    });
    return [...this.store.params.keys()].filter((n) => used.has(n));
  }
}

/** Check that a mixture has one weight vector per edge, as long as the edge's operator list. */
function validateMixture(mixture: Mixture): void {
  validateMixtureOps(mixture.ops);
  const { ops, weights } = mixture;
  if (!Array.isArray(weights) || weights.length !== EDGES.length) {
    throw new Error(`an NB201 mixture has a weight vector for each of the ${EDGES.length} edges, got ${weights?.length}`);
  }
  weights.forEach((w, i) => {
    if (w.rank !== 1 || w.shape[0] !== ops[i].length) {
      throw new Error(`mixture: edge ${EDGES[i].id} lists ${ops[i].length} operator(s) but has weights of shape [${w.shape}]`);
    }
  });
}

/** Check that a mixture lists, for each of the 6 edges, known distinct operators. */
function validateMixtureOps(ops: readonly (readonly string[])[]): void {
  if (!Array.isArray(ops) || ops.length !== EDGES.length) {
    throw new Error(`an NB201 mixture lists operators for ${EDGES.length} edges, got ${Array.isArray(ops) ? ops.length : typeof ops}`);
  }
  ops.forEach((list, i) => {
    if (list.length === 0) throw new Error(`mixture: edge ${EDGES[i].id} lists no operator`);
    if (new Set(list).size !== list.length) throw new Error(`mixture: edge ${EDGES[i].id} lists an operator twice`);
    for (const op of list) {
      if (!(NB201_OPS as readonly string[]).includes(op)) {
        throw new Error(`mixture: unknown operator '${op}' on edge ${EDGES[i].id} (expected one of ${NB201_OPS.join(', ')})`);
      }
    }
  });
}
