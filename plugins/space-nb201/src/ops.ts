/**
 * The operators of an NB201 edge, as tfjs computations (NHWC).
 */
import { BatchNorm, Conv2d, ForwardMode, ParamStore, relu, tf } from '@absnas/core';
import { CONV_KERNEL, CONV_OPS, POOL_KERNEL } from './topology';

/** The batch norms used here: core's (affine) or the plugin's non-affine one. */

/** ReLU -> Conv (no bias) -> BN: XAutoDL's ReLUConvBN. */
export class ReluConvBn {
  readonly conv: Conv2d;
  readonly bn: BatchNorm;

  constructor(
    store: ParamStore,
    readonly name: string,
    cin: number,
    cout: number,
    kernel: number,
    stride: number,
    padding: number,
    affine: boolean,
  ) {
    this.conv = new Conv2d(store, `${name}.conv`, cin, cout, kernel, stride, padding);
    this.bn = new BatchNorm(store, `${name}.bn`, cout, affine);
  }

  apply(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    return this.bn.apply(this.conv.apply(relu(x)), mode);
  }

  /** Names of the trainable parameters (conv weight, then BN gamma/beta if affine). */
  paramNames(): string[] {
    const out = [`${this.name}.conv.weight`];
    if (this.bn.affine) out.push(`${this.name}.bn.gamma`, `${this.name}.bn.beta`);
    return out;
  }
}

/**
 * 3x3 average pooling, stride 1, padding 1, padding not counted in the
 * average (PyTorch's count_include_pad=False): tfjs's avgPool with 'same'
 * padding. Its gradient is exact at the border on every backend absnas runs
 * (absnas replaces the wasm, cpu and webgpu AvgPoolGrad kernels that divided
 * by 9 everywhere; see core's backend/pool-gradients.ts), and as one op it
 * saves only its input for the backward pass (a pad, a 'valid' pool and a
 * rescale saved two more full-size tensors).
 */
export function avgPool3x3(x: tf.Tensor4D): tf.Tensor4D {
  return tf.avgPool(x, POOL_KERNEL, 1, 'same');
}

/**
 * Every candidate of one supernet edge: a ReLU-Conv-BN per conv operator
 * (BN without affine parameters, as in the NB201 search model), pooling,
 * identity and zero, which own no weights.
 */
export class EdgeOps {
  readonly convs = new Map<string, ReluConvBn>();

  constructor(store: ParamStore, prefix: (op: string) => string, channels: number) {
    for (const op of CONV_OPS) {
      const k = CONV_KERNEL[op];
      this.convs.set(op, new ReluConvBn(store, prefix(op), channels, channels, k, 1, Math.floor(k / 2), false));
    }
  }

  /** The edge's output for operator `op`, or null for `none` (it adds nothing to the node sum). */
  apply(op: string, x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D | null {
    switch (op) {
      case 'none':
        return null;
      case 'skip_connect':
        return x;
      case 'avg_pool_3x3':
        return avgPool3x3(x);
      default: {
        const conv = this.convs.get(op);
        if (!conv) throw new Error(`no operator '${op}' on this edge`);
        return conv.apply(x, mode);
      }
    }
  }

  /**
   * The weighted sum over `ops` of weight[k] * op_k(x), or null when every
   * listed operator is `none` (which contributes nothing). `weights` holds one
   * entry per listed operator.
   */
  applyMixture(ops: readonly string[], weights: tf.Tensor1D, x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D | null {
    if (weights.rank !== 1 || weights.shape[0] !== ops.length) {
      throw new Error(`mixture of ${ops.length} operator(s) needs ${ops.length} weight(s), got shape [${weights.shape}]`);
    }
    const terms: tf.Tensor4D[] = [];
    ops.forEach((op, k) => {
      const y = this.apply(op, x, mode);
      if (!y) return;
      // a [1] weight broadcasts over the NHWC map
      terms.push(tf.mul(y, ops.length === 1 ? weights : tf.slice(weights, [k], [1])));
    });
    return terms.length === 0 ? null : terms.length === 1 ? terms[0] : tf.addN(terms);
  }

  batchNorms(): BatchNorm[] {
    return [...this.convs.values()].map((c) => c.bn);
  }
}
