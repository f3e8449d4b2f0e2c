/**
 * One search cell of the supernet: a 4-node DAG whose 6 edges hold every
 * candidate operator, run along one chosen operator per edge or as a
 * weighted mixture of the listed operators on every edge.
 */
import { Architecture, BatchNorm, ForwardMode, ParamStore, tf } from '@absnas/core';
import { names } from './macro';
import { EdgeOps } from './ops';
import { EDGES, NUM_NODES, isConv, liveEdges } from './topology';

export class SearchCell {
  readonly edges: EdgeOps[];

  /** `index` is the cell's global position (0..3N-1); `channels` its width. */
  constructor(store: ParamStore, readonly index: number, readonly channels: number) {
    this.edges = EDGES.map((e) => new EdgeOps(store, (op) => names.edgeOp(index, e.id, op), channels));
  }

  /** One child: the chosen operator on every edge. */
  apply(x: tf.Tensor4D, arch: Architecture, mode: ForwardMode): tf.Tensor4D {
    return this.run(x, (edge, i, input) => edge.apply(arch[i], input, mode));
  }

  /** A mixture: edge i outputs sum_k weights[i][k] * op(ops[i][k])(its input node). */
  applyMixture(x: tf.Tensor4D, ops: readonly (readonly string[])[], weights: readonly tf.Tensor1D[], mode: ForwardMode): tf.Tensor4D {
    return this.run(x, (edge, i, input) => edge.applyMixture(ops[i], weights[i], input, mode));
  }

  /**
   * Conv weights of the listed operators (a child lists one per edge) on
   * edges that reach the output from the input through some listed operator.
   */
  paramNames(ops: readonly (readonly string[])[]): string[] {
    const live = liveEdges(mixtureSkeleton(ops));
    const out: string[] = [];
    EDGES.forEach((e, i) => {
      if (!live.has(i)) return;
      for (const op of ops[i]) if (isConv(op)) out.push(...this.edges[i].convs.get(op)!.paramNames());
    });
    return out;
  }

  /**
   * node 0 = x; node j = sum over i < j of the outputs of edges j<-i (null:
   * adds nothing); returns node 3. A node whose inputs are all `none` is a
   * zero tensor (ops downstream of it still run, as in the reference
   * implementation).
   */
  private run(x: tf.Tensor4D, edgeOutput: (edge: EdgeOps, index: number, input: tf.Tensor4D) => tf.Tensor4D | null): tf.Tensor4D {
    const nodes: tf.Tensor4D[] = [x];
    for (let to = 1; to < NUM_NODES; to++) {
      const terms: tf.Tensor4D[] = [];
      EDGES.forEach((e, i) => {
        if (e.to !== to) return;
        const y = edgeOutput(this.edges[i], i, nodes[e.from]);
        if (y) terms.push(y);
      });
      // tf.zeros, not zerosLike: a node with no input must not connect the
      // upstream weights to the loss (zerosLike would, with zero gradients)
      nodes.push(terms.length === 0 ? tf.zeros(x.shape) : terms.length === 1 ? terms[0] : tf.addN(terms));
    }
    return nodes[NUM_NODES - 1];
  }

  batchNorms(): BatchNorm[] {
    return this.edges.flatMap((e) => e.batchNorms());
  }
}

/**
 * An architecture with the same connectivity as a mixture: on each edge the
 * first listed operator that is not `none`, or `none` when there is none.
 */
export function mixtureSkeleton(ops: readonly (readonly string[])[]): string[] {
  return ops.map((list) => list.find((op) => op !== 'none') ?? 'none');
}
