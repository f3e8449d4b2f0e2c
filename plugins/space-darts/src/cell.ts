/**
 * DARTS cells. A tensor of `null` stands for a map that does not depend on
 * the network input (every edge into it is `none`): edges leaving it are not
 * computed, so their weights get no gradient, and it enters the concatenated
 * output as zeros that connect to nothing.
 */
import { BatchNorm, ForwardMode, Mixture, ParamStore, relu, tf } from '@absnas/core';
import { CellPlan, names } from './macro';
import { FactorizedReduce, Module, ReluConvBn, createOp, dropout as applyDropout, dropPath } from './ops';
import { CONCAT, DARTS_OPS, EDGES, NUM_INPUTS, NUM_NODES } from './topology';

export type Maybe = tf.Tensor4D | null;

/** The two preprocessing modules of a cell: its inputs brought to c channels at the cell's resolution. */
function preprocess(store: ParamStore, plan: CellPlan, affine: boolean): [Module, Module] {
  const pre0: Module = plan.reductionPrev
    ? new FactorizedReduce(store, names.pre0(plan.index), plan.cPrevPrev, plan.c, affine)
    : new ReluConvBn(store, names.pre0(plan.index), plan.cPrevPrev, plan.c, 1, 1, 0, affine);
  const pre1 = new ReluConvBn(store, names.pre1(plan.index), plan.cPrev, plan.c, 1, 1, 0, affine);
  return [pre0, pre1];
}

/** Concatenate nodes 2..5 (zeros for maps that do not exist), or null when none exists. */
function concatNodes(nodes: Maybe[]): Maybe {
  const outs = CONCAT.map((n) => nodes[n]);
  const some = outs.find((t): t is tf.Tensor4D => t !== null);
  if (!some) return null;
  return tf.concat(outs.map((t) => t ?? (tf.zeros(some.shape) as tf.Tensor4D)), 3);
}

/**
 * One edge's computation in its own tidy scope: its intermediate maps are
 * freed as soon as the edge is done (the gradient tape keeps what the
 * backward pass needs), so a full mixture's peak memory is one edge's, not
 * one network's worth of intermediates.
 */
function perEdge(f: () => Maybe): Maybe {
  return tf.tidy(() => f() ?? undefined) ?? null;
}

/** Whether the edge applies stride 2: in a reduction cell, the edges leaving the cell inputs. */
export function edgeStride(plan: CellPlan, from: number): number {
  return plan.reduction && from < NUM_INPUTS ? 2 : 1;
}

/** Every candidate operator of one supernet edge. */
export class EdgeOps {
  readonly modules = new Map<string, Module>();

  constructor(store: ParamStore, prefix: (op: string) => string, c: number, readonly stride: number, affine = false) {
    for (const op of DARTS_OPS) {
      const m = createOp(store, prefix(op), op, c, stride, true, affine);
      if (m) this.modules.set(op, m);
    }
  }

  /** The edge's output for `op`, or null for `none`. */
  apply(op: string, x: tf.Tensor4D, mode: ForwardMode): Maybe {
    if (op === 'none') return null;
    const m = this.modules.get(op);
    if (!m) throw new Error(`no operator '${op}' on this edge`);
    return m.apply(x, mode);
  }

  /** sum_k w[k] * op_k(x) over the listed ops (`none` adds nothing), or null when all are `none`. */
  applyMixture(ops: readonly string[], weights: tf.Tensor1D, x: tf.Tensor4D, mode: ForwardMode, drop?: (op: string, y: tf.Tensor4D) => tf.Tensor4D): Maybe {
    if (weights.rank !== 1 || weights.shape[0] !== ops.length) {
      throw new Error(`mixture of ${ops.length} operator(s) needs ${ops.length} weight(s), got shape [${weights.shape}]`);
    }
    const terms: tf.Tensor4D[] = [];
    let rx: tf.Tensor4D | undefined; // relu(x), shared by the operators that begin with one
    ops.forEach((op, k) => {
      if (op === 'none') return;
      const m = this.modules.get(op);
      if (!m) throw new Error(`no operator '${op}' on this edge`);
      let y = m.applyRelu ? m.applyRelu((rx ??= relu(x)), mode) : m.apply(x, mode);
      if (drop) y = drop(op, y);
      terms.push(tf.mul(y, ops.length === 1 ? weights : tf.slice(weights, [k], [1])));
    });
    return terms.length === 0 ? null : terms.length === 1 ? terms[0] : tf.addN(terms);
  }

  paramNames(op: string): string[] {
    return this.modules.get(op)?.paramNames() ?? [];
  }

  batchNorms(): BatchNorm[] {
    return [...this.modules.values()].flatMap((m) => m.batchNorms());
  }
}

/** Which nodes of a cell exist, given which inputs exist and which edges carry a (non-`none`) operator. */
export function nodeLiveness(in0: boolean, in1: boolean, edgeOn: (edge: number) => boolean): boolean[] {
  const live = [in0, in1];
  for (let to = NUM_INPUTS; to < NUM_NODES; to++) {
    live.push(EDGES.some((e, i) => e.to === to && live[e.from] && edgeOn(i)));
  }
  return live;
}

/** A search cell: every operator on every edge, its batch norms without affine parameters (DARTS's search cells) unless `affine`. */
export class SearchCell {
  readonly pre0: Module;
  readonly pre1: Module;
  readonly edges: EdgeOps[];

  constructor(store: ParamStore, readonly plan: CellPlan, affine = false) {
    [this.pre0, this.pre1] = preprocess(store, plan, affine);
    this.edges = EDGES.map((e) => new EdgeOps(store, (op) => names.edgeOp(plan.index, e.id, op), plan.c, edgeStride(plan, e.from), affine));
  }

  /** One child: `ops` holds this cell type's 14 operators. */
  apply(s0: Maybe, s1: Maybe, ops: readonly string[], mode: ForwardMode): Maybe {
    const nodes: Maybe[] = [s0 && this.pre0.apply(s0, mode), s1 && this.pre1.apply(s1, mode)];
    for (let to = NUM_INPUTS; to < NUM_NODES; to++) {
      const terms: tf.Tensor4D[] = [];
      EDGES.forEach((e, i) => {
        const x = nodes[e.from];
        if (e.to !== to || !x) return;
        const y = perEdge(() => this.edges[i].apply(ops[i], x, mode));
        if (y) terms.push(y);
      });
      nodes.push(terms.length === 0 ? null : terms.length === 1 ? terms[0] : tf.addN(terms));
    }
    return concatNodes(nodes);
  }

  /** A mixture: `ops[i]`/`weights[i]` for this cell type's 14 edges. */
  applyMixture(
    s0: Maybe,
    s1: Maybe,
    ops: readonly (readonly string[])[],
    weights: readonly tf.Tensor1D[],
    mode: ForwardMode,
    dropout?: Mixture['dropout'],
  ): Maybe {
    const nodes: Maybe[] = [s0 && this.pre0.apply(s0, mode), s1 && this.pre1.apply(s1, mode)];
    let draws = 0;
    const drop =
      dropout && dropout.rate > 0 && mode === 'train'
        ? (edge: number) =>
            (op: string, y: tf.Tensor4D): tf.Tensor4D => {
              // as PDARTS: dropout follows identity skip-connections only (not the stride-2 FactorizedReduce)
              if (!dropout.ops.includes(op) || (op === 'skip_connect' && this.edges[edge].stride !== 1)) return y;
              const seed = (dropout.seed ^ Math.imul(this.plan.index * 64 + edge * 4 + ++draws, 0x9e3779b1)) >>> 0;
              return applyDropout(y, dropout.rate, seed);
            }
        : undefined;
    for (let to = NUM_INPUTS; to < NUM_NODES; to++) {
      const terms: tf.Tensor4D[] = [];
      EDGES.forEach((e, i) => {
        const x = nodes[e.from];
        if (e.to !== to || !x) return;
        const y = perEdge(() => this.edges[i].applyMixture(ops[i], weights[i], x, mode, drop?.(i)));
        if (y) terms.push(y);
      });
      nodes.push(terms.length === 0 ? null : terms.length === 1 ? terms[0] : tf.addN(terms));
    }
    return concatNodes(nodes);
  }

  /**
   * The parameters a forward pass computes with, given which inputs exist:
   * the preprocessing of existing inputs, and the listed operators of every
   * edge leaving an existing node. Returns them and whether the output exists.
   */
  usedParams(in0: boolean, in1: boolean, ops: readonly (readonly string[])[]): { params: string[]; out: boolean } {
    const on = (i: number): boolean => ops[i].some((op) => op !== 'none');
    const live = nodeLiveness(in0, in1, on);
    const params: string[] = [];
    if (in0) params.push(...this.pre0.paramNames());
    if (in1) params.push(...this.pre1.paramNames());
    EDGES.forEach((e, i) => {
      if (!live[e.from]) return;
      for (const op of ops[i]) params.push(...this.edges[i].paramNames(op));
    });
    return { params, out: CONCAT.some((n) => live[n]) };
  }

  batchNorms(): BatchNorm[] {
    return [...this.pre0.batchNorms(), ...this.pre1.batchNorms(), ...this.edges.flatMap((e) => e.batchNorms())];
  }
}

/** A cell of a standalone network: one operator per existing edge, affine BN, drop-path on non-identity branches. */
export class FixedCell {
  readonly pre0: Module;
  readonly pre1: Module;
  /** Per edge, its module (undefined for `none`; an Identity for a stride-1 skip). */
  readonly ops: (Module | undefined)[];

  constructor(store: ParamStore, readonly plan: CellPlan, readonly cellOps: readonly string[]) {
    [this.pre0, this.pre1] = preprocess(store, plan, true);
    this.ops = EDGES.map((e, i) => createOp(store, names.edgeOp(plan.index, e.id, cellOps[i]), cellOps[i], plan.c, edgeStride(plan, e.from), false) ?? undefined);
  }

  /** `dropPathU(edge)` gives one uniform per sample for a branch's drop-path mask (train mode, p > 0). */
  apply(s0: Maybe, s1: Maybe, mode: ForwardMode, dropPathProb = 0, dropPathU?: () => Float32Array): Maybe {
    const nodes: Maybe[] = [s0 && this.pre0.apply(s0, mode), s1 && this.pre1.apply(s1, mode)];
    for (let to = NUM_INPUTS; to < NUM_NODES; to++) {
      const terms: tf.Tensor4D[] = [];
      EDGES.forEach((e, i) => {
        const x = nodes[e.from];
        const m = this.ops[i];
        if (e.to !== to || !x || !m) return;
        let y = m.apply(x, mode);
        const identity = this.cellOps[i] === 'skip_connect' && edgeStride(this.plan, e.from) === 1;
        if (mode === 'train' && dropPathProb > 0 && !identity && dropPathU) y = dropPath(y, dropPathProb, dropPathU());
        terms.push(y);
      });
      nodes.push(terms.length === 0 ? null : terms.length === 1 ? terms[0] : tf.addN(terms));
    }
    return concatNodes(nodes);
  }

  paramNames(): string[] {
    return [...this.pre0.paramNames(), ...this.pre1.paramNames(), ...this.ops.flatMap((m) => m?.paramNames() ?? [])];
  }

  batchNorms(): BatchNorm[] {
    return [...this.pre0.batchNorms(), ...this.pre1.batchNorms(), ...this.ops.flatMap((m) => m?.batchNorms() ?? [])];
  }
}
