/**
 * Batch normalisation with batch statistics (training and recalibration),
 * NHWC, as one op with its own gradient.
 *
 * Written with tf.customGrad over public ops, so it runs on every backend.
 * The per-channel means are one cheap reduction (see channelMeans) rather
 * than tfjs's Mean/Sum, whose gradients build full-size tensors of ones in
 * JS, and the backward pass is the closed form
 *
 *   dx = gamma * invStd * (dy - mean(dy) - xhat * mean(dy * xhat))
 *
 * instead of the chain of tfjs gradients through moments, sub, rsqrt, mul.
 * The variance is the biased one (PyTorch normalises with it); it is
 * computed from the centred input (two passes), as PyTorch does.
 *
 * On wasm with absnas's native kernels (native/batch-norm.ts) the same
 * forward pass and closed-form gradient run as one native kernel each, and
 * batchNormTrainUpdating folds the running statistics' update into the
 * forward kernel. Inside a nested gradient (second order) it is the public
 * ops alone, without the custom gradient.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeBatchNormActive, runBatchNormTrain, runBatchNormTrainGrad } from './native/batch-norm';
import { constantOf, inNestedGradient } from './second-order-gradients';

export interface BatchNormTrainResult {
  /** the normalised (and, with gamma/beta, scaled and shifted) input */
  y: tf.Tensor4D;
  /** per-channel batch mean [C]; outside any gradient, owned by the caller */
  mean: tf.Tensor1D;
  /** per-channel biased batch variance [C]; outside any gradient, owned by the caller */
  variance: tf.Tensor1D;
}

/**
 * Per-channel means of an NHWC tensor, as [1, C]. On wasm: a global average
 * pool (XNNPACK, vectorised over channels) then the mean of the N rows; a
 * GEMM with a row of ones there would repack the whole input as its weight
 * matrix on every call. Elsewhere: a matMul of a row of 1/(N*H*W) with the
 * input seen as [N*H*W, C].
 */
function channelMeans(x: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  if (tf.getBackend() === 'wasm') {
    const perImage = tf.reshape(tf.avgPool(x, [h, w], 1, 'valid'), [n, c]);
    return (n === 1 ? perImage : tf.mean(perImage, 0, true)) as tf.Tensor2D;
  }
  const m = n * h * w;
  return tf.matMul(tf.fill([1, m], 1 / m), tf.reshape(x, [m, c]) as tf.Tensor2D);
}

/** The running statistics of a batch norm, and the weight of this batch in their update. */
export interface RunningStats {
  mean: tf.Variable;
  variance: tf.Variable;
  /** running = running * (1 - rate) + batch * rate (the variance unbiased, as PyTorch's) */
  rate: number;
}

interface Pass {
  /** With `running`: the running statistics updated too (the pass may return no batch statistics then). */
  forward(
    x: tf.Tensor4D,
    gamma: tf.Tensor1D | undefined,
    beta: tf.Tensor1D | undefined,
    eps: number,
    save: tf.GradSaveFunc,
    running?: RunningStats,
  ): { y: tf.Tensor4D; mean?: tf.Tensor; variance?: tf.Tensor };
  /** dx, and the per-channel sums that dbeta (sumDy) and dgamma (sumDyXhat) are. */
  backward(dy: tf.Tensor4D, saved: tf.Tensor[]): { dx: tf.Tensor4D; sumDy: tf.Tensor; sumDyXhat: tf.Tensor };
}

/** Public ops: any backend. */
const OPS: Pass = { forward, backward };

/** The native kernels (wasm). Saves x rather than the centred input, and the [C] statistics. */
const NATIVE: Pass = {
  forward(x, gamma, beta, eps, save, running) {
    const update = running && { mean: running.mean, variance: running.variance, rate: running.rate, unbias: unbiasFactor(x) };
    const [y, mean, variance, invStd, newMean, newVariance] = runBatchNormTrain(x, gamma, beta, eps, update);
    save(gamma ? [x, mean, invStd, gamma] : [x, mean, invStd]);
    if (running) {
      running.mean.assign(newMean as tf.Tensor1D);
      running.variance.assign(newVariance as tf.Tensor1D);
      return { y: y as tf.Tensor4D };
    }
    return { y: y as tf.Tensor4D, mean, variance };
  },
  backward(dy, saved) {
    const [x, mean, invStd, gamma] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D | undefined];
    const [dx, sumDy, sumDyXhat] = runBatchNormTrainGrad(dy, x, mean, invStd, gamma);
    return { dx: dx as tf.Tensor4D, sumDy, sumDyXhat };
  },
};

function forward(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D | undefined,
  beta: tf.Tensor1D | undefined,
  eps: number,
  save: tf.GradSaveFunc,
): { y: tf.Tensor4D; mean: tf.Tensor2D; variance: tf.Tensor2D } {
  const mean = channelMeans(x);
  const xc = tf.sub(x, mean) as tf.Tensor4D;
  const variance = channelMeans(tf.square(xc) as tf.Tensor4D);
  const invStd = tf.rsqrt(tf.add(variance, eps)) as tf.Tensor2D;
  let y = tf.mul(xc, gamma ? tf.mul(invStd, gamma) : invStd) as tf.Tensor4D;
  if (beta) y = tf.add(y, beta);
  save(gamma ? [xc, invStd, gamma] : [xc, invStd]);
  return { y, mean, variance };
}

/**
 * The forward pass alone, differentiable to any order by tfjs. With large
 * activations (a chain of pooling cells grows them 4x per cell) the second
 * derivatives of rsqrt(var + eps) reach var^-2.5, which leaves float32. So
 * the rsqrt takes (var + eps) s^2 with s = 1 / std(x) per channel, a
 * constant to the gradient (the result does not depend on it): every value
 * it sees is of order one, and no tensor of x's size is added.
 */
function differentiableBatchNorm(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D | undefined,
  beta: tf.Tensor1D | undefined,
  eps: number,
): { y: tf.Tensor4D; mean: tf.Tensor; variance: tf.Tensor } {
  const mean = channelMeans(x);
  const xc = tf.sub(x, mean) as tf.Tensor4D;
  const variance = channelMeans(tf.square(xc) as tf.Tensor4D);
  const s2 = tf.square(constantOf(variance, (v) => tf.rsqrt(tf.add(v, eps))));
  // rsqrt(var + eps) = rsqrt((var + eps) s^2) * s
  const invStd = tf.mul(tf.rsqrt(tf.mul(tf.add(variance, eps), s2)), tf.sqrt(s2));
  let y = tf.mul(xc, gamma ? tf.mul(invStd, gamma) : invStd) as tf.Tensor4D;
  if (beta) y = tf.add(y, beta);
  return { y, mean, variance };
}

/** dx, and the sums that dgamma and dbeta are made of. */
function backward(dy: tf.Tensor4D, saved: tf.Tensor[]): { dx: tf.Tensor4D; sumDy: tf.Tensor2D; sumDyXhat: tf.Tensor2D } {
  const [xc, invStd, gamma] = saved as [tf.Tensor4D, tf.Tensor2D, tf.Tensor1D | undefined];
  const m = xc.size / xc.shape[3];
  const meanDy = channelMeans(dy);
  const meanDyXc = channelMeans(tf.mul(dy, xc) as tf.Tensor4D);
  const a = gamma ? tf.mul(invStd, gamma) : invStd;
  // dx = a * (dy - mean(dy)) + b * xc, with b = -a * invStd^2 * mean(dy * xc)
  const b = tf.mul(tf.mul(a, tf.square(invStd)), tf.neg(meanDyXc));
  const dx = tf.add(tf.mul(tf.sub(dy, meanDy), a), tf.mul(xc, b)) as tf.Tensor4D;
  return { dx, sumDy: tf.mul(meanDy, m) as tf.Tensor2D, sumDyXhat: tf.mul(tf.mul(meanDyXc, m), invStd) as tf.Tensor2D };
}

/** n / (n - 1) for the n values per channel of x: the biased variance times it is the unbiased one. */
function unbiasFactor(x: tf.Tensor4D): number {
  const n = x.size / x.shape[3];
  return n / Math.max(n - 1, 1);
}

/** The running statistics' update with a batch's mean and biased variance, as separate ops. */
function updateRunningStats(running: RunningStats, mean: tf.Tensor, variance: tf.Tensor, unbias: number): void {
  tf.tidy(() => {
    // the assignment is outside the loss, so no gradient flows through it
    const unbiased = tf.mul(variance, unbias);
    const { rate } = running;
    running.mean.assign(tf.add(tf.mul(running.mean, 1 - rate), tf.mul(mean, rate)));
    running.variance.assign(tf.add(tf.mul(running.variance, 1 - rate), tf.mul(unbiased, rate)));
  });
}

/**
 * Batch norm of an NHWC tensor with the statistics of this batch, over
 * N, H and W per channel; `gamma` and `beta` ([C]) both or neither. The
 * gradient reaches x, gamma and beta (not the returned statistics).
 */
export function batchNormTrain(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D | undefined,
  beta: tf.Tensor1D | undefined,
  eps: number,
): BatchNormTrainResult {
  const { y, stats } = run(x, gamma, beta, eps, undefined);
  const [mean, variance] = stats as [tf.Tensor1D, tf.Tensor1D];
  return { y, mean, variance };
}

/**
 * batchNormTrain, updating `running` with this batch's mean and unbiased
 * variance (what a BatchNorm layer does in training and recalibration);
 * returns y. On wasm with the native kernels the update is part of the
 * forward kernel.
 */
export function batchNormTrainUpdating(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D | undefined,
  beta: tf.Tensor1D | undefined,
  eps: number,
  running: RunningStats,
): tf.Tensor4D {
  const { y, stats } = run(x, gamma, beta, eps, running);
  if (stats) {
    updateRunningStats(running, stats[0], stats[1], unbiasFactor(x));
    tf.dispose(stats);
  }
  return y;
}

/** The op, with its statistics kept (null when the pass updated `running` itself). */
function run(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D | undefined,
  beta: tf.Tensor1D | undefined,
  eps: number,
  running: RunningStats | undefined,
): { y: tf.Tensor4D; stats: [tf.Tensor1D, tf.Tensor1D] | null } {
  if (x.rank !== 4) throw new Error(`batchNormTrain: expected an NHWC tensor, got rank ${x.rank}`);
  if ((gamma == null) !== (beta == null)) throw new Error('batchNormTrain: give gamma and beta together, or neither');
  const c = x.shape[3];
  if (inNestedGradient()) {
    // its gradient will be differentiated: the public ops, which tfjs differentiates to any order (the
    // custom gradient's saved statistics would be constants there)
    const r = differentiableBatchNorm(x, gamma, beta, eps);
    return { y: r.y, stats: [tf.reshape(r.mean, [c]), tf.reshape(r.variance, [c])] };
  }
  const pass = nativeBatchNormActive() ? NATIVE : OPS;
  const { backward } = pass;
  const forward = (xi: tf.Tensor4D, g: tf.Tensor1D | undefined, b: tf.Tensor1D | undefined, e: number, save: tf.GradSaveFunc) =>
    pass.forward(xi, g, b, e, save, running);
  let stats: [tf.Tensor1D, tf.Tensor1D] | null = null;
  const keepStats = (mean: tf.Tensor | undefined, variance: tf.Tensor | undefined): void => {
    if (mean == null || variance == null) return;
    stats = [tf.keep(tf.reshape(mean, [c]) as tf.Tensor1D), tf.keep(tf.reshape(variance, [c]) as tf.Tensor1D)];
  };
  let y: tf.Tensor4D;
  if (gamma && beta) {
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [xi, g, b, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
      const r = forward(xi, g, b, eps, save);
      keepStats(r.mean, r.variance);
      return {
        value: r.y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const { dx, sumDy, sumDyXhat } = backward(dy as tf.Tensor4D, saved);
          return [dx, tf.reshape(sumDyXhat, [c]), tf.reshape(sumDy, [c])];
        },
      };
    });
    y = op(x, gamma, beta) as tf.Tensor4D;
  } else {
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [xi, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
      const r = forward(xi, undefined, undefined, eps, save);
      keepStats(r.mean, r.variance);
      return { value: r.y, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => backward(dy as tf.Tensor4D, saved).dx };
    });
    y = op(x) as tf.Tensor4D;
  }
  return { y, stats };
}

/** Batch norm with given statistics (inference): y = x * scale + shift, per channel. */
export function batchNormInference(
  x: tf.Tensor4D,
  mean: tf.Tensor1D,
  variance: tf.Tensor1D,
  gamma: tf.Tensor1D | undefined,
  beta: tf.Tensor1D | undefined,
  eps: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const invStd = tf.rsqrt(tf.add(variance, eps));
    const scale = gamma ? tf.mul(invStd, gamma) : invStd;
    const shift = beta ? tf.sub(beta, tf.mul(mean, scale)) : tf.neg(tf.mul(mean, scale));
    return tf.add(tf.mul(x, scale), shift) as tf.Tensor4D;
  });
}
