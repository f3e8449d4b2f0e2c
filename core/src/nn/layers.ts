import * as tf from '@tensorflow/tfjs';
import { batchNormInference, batchNormTrainUpdating } from '../backend/batch-norm';
import { ParamStore } from './params';
import { batchNormBypassed, probeLayerOutput } from './probe';

/**
 * How a forward pass treats batch norm:
 * - train: batch statistics, running statistics updated with momentum;
 * - eval: running statistics;
 * - recalibrate: batch statistics, running statistics accumulated as a plain
 *   average over the recalibration batches (PyTorch's momentum=None).
 */
export type ForwardMode = 'train' | 'eval' | 'recalibrate';

/** A 2-D convolution, NHWC, weight [k, k, cin/groups, cout] (or depthwise [k, k, c, 1]). */
export class Conv2d {
  readonly weight: tf.Variable;
  readonly bias?: tf.Variable;
  private readonly pad: [[number, number], [number, number], [number, number], [number, number]];

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly cin: number,
    readonly cout: number,
    readonly kernel: number,
    readonly stride = 1,
    padding = Math.floor(kernel / 2),
    readonly dilation = 1,
    readonly depthwise = false,
    withBias = false,
  ) {
    const fanIn = (depthwise ? 1 : cin) * kernel * kernel;
    const shape = depthwise ? [kernel, kernel, cin, 1] : [kernel, kernel, cin, cout];
    this.weight = store.convKernel(`${name}.weight`, shape, fanIn);
    if (withBias) this.bias = store.uniformFanIn(`${name}.bias`, [cout], fanIn, 'bias');
    this.pad = [[0, 0], [padding, padding], [padding, padding], [0, 0]];
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    let y = this.depthwise
      ? tf.depthwiseConv2d(x, this.weight as tf.Tensor4D, this.stride, this.pad, 'NHWC', this.dilation)
      : tf.conv2d(x, this.weight as tf.Tensor4D, this.stride, this.pad, 'NHWC', this.dilation);
    if (this.bias) y = tf.add<tf.Tensor4D>(y, this.bias);
    return probeLayerOutput(y, this.name, 'conv', this.weight);
  }

  /** Multiply-accumulates for an output of size outH x outW (one image). */
  macs(outH: number, outW: number): number {
    const perOutput = this.kernel * this.kernel * (this.depthwise ? 1 : this.cin);
    return perOutput * this.cout * outH * outW;
  }

  paramCount(): number {
    return this.weight.size + (this.bias ? this.bias.size : 0);
  }
}

/** Batch norm over NHWC channels with running statistics, optionally affine. */
export class BatchNorm {
  readonly gamma?: tf.Variable;
  readonly beta?: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  /** Batches seen since the last reset, for the recalibration average. */
  private recalibrationCount = 0;

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly channels: number,
    readonly affine: boolean,
    readonly momentum = 0.1,
    readonly eps = 1e-5,
  ) {
    if (affine) {
      this.gamma = store.constant(`${name}.gamma`, [channels], 1, 'norm');
      this.beta = store.constant(`${name}.beta`, [channels], 0, 'norm');
    }
    this.runningMean = store.buffer(`${name}.running_mean`, [channels], 0);
    this.runningVar = store.buffer(`${name}.running_var`, [channels], 1);
  }

  apply(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    if (batchNormBypassed()) return x;
    const gamma = this.gamma as tf.Tensor1D | undefined;
    const beta = this.beta as tf.Tensor1D | undefined;
    if (mode === 'eval') {
      return batchNormInference(x, this.runningMean as tf.Tensor1D, this.runningVar as tf.Tensor1D, gamma, beta, this.eps);
    }
    // one op with a closed-form gradient (see backend/batch-norm.ts): much
    // cheaper than tf.moments and the chain of tfjs gradients through it.
    // Running statistics use the unbiased variance, as PyTorch does.
    const rate = mode === 'train' ? this.momentum : 1 / (this.recalibrationCount + 1);
    const y = batchNormTrainUpdating(x, gamma, beta, this.eps, { mean: this.runningMean, variance: this.runningVar, rate });
    if (mode === 'recalibrate') this.recalibrationCount++;
    return y;
  }

  /** Forget the running statistics (before recalibration). */
  resetStats(): void {
    tf.tidy(() => {
      this.runningMean.assign(tf.zerosLike(this.runningMean));
      this.runningVar.assign(tf.onesLike(this.runningVar));
    });
    this.recalibrationCount = 0;
  }

  paramCount(): number {
    return this.affine ? 2 * this.channels : 0;
  }
}

/** Fully connected layer: weight [in, out], bias [out]. */
export class Linear {
  readonly weight: tf.Variable;
  readonly bias?: tf.Variable;

  constructor(store: ParamStore, readonly name: string, readonly cin: number, readonly cout: number, withBias = true) {
    this.weight = store.linearKernel(`${name}.weight`, [cin, cout], cin);
    if (withBias) this.bias = store.linearBias(`${name}.bias`, [cout], cin);
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    const y: tf.Tensor2D = tf.matMul(x, this.weight as tf.Tensor2D);
    return probeLayerOutput(this.bias ? tf.add<tf.Tensor2D>(y, this.bias) : y, this.name, 'linear', this.weight);
  }

  paramCount(): number {
    return this.weight.size + (this.bias ? this.bias.size : 0);
  }
}

/** Global average pooling NHWC -> NC. */
export function globalAvgPool(x: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(x, [1, 2]) as tf.Tensor2D;
}
