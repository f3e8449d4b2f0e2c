/**
 * Batch norm with batch statistics on the wasm backend through the native
 * addon: the forward pass (statistics and normalisation) and its closed-form
 * gradient as one kernel each, instead of ~14 full-size tfjs ops.
 *
 * Registered for 'wasm' under absnas's own kernel names; batchNormTrain
 * (../batch-norm.ts) runs them through the engine when nativeBatchNormActive().
 *
 *   AbsnasBatchNormTrain      {x, gamma?, beta?, runningMean?, runningVar?}, {eps, rate?, unbias?}
 *                             -> [y, mean, variance, invStd, (runningMean', runningVar')]
 *   AbsnasBatchNormTrainGrad  {dy, x, mean, invStd, gamma?} -> [dx, sumDy, sumDyXhat]
 *
 * x and dy are NHWC; the per-channel outputs are [C]. With the running
 * statistics given, the forward kernel also returns them updated with this
 * batch (../batch-norm.ts, RunningStats), in the separate ops' float32
 * arithmetic: no tfjs ops for the update.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, KernelArgs, need } from '../kernels/common';
import { countNativeCall, nativeAddon } from './addon';

export const BATCH_NORM_TRAIN = 'AbsnasBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'AbsnasBatchNormTrainGrad';

function rowsAndChannels(kernelName: string, x: tf.TensorInfo): [number, number] {
  if (x.shape.length !== 4 || x.dtype !== 'float32') {
    throw new Error(`absnas native ${kernelName}: expected a float32 NHWC tensor, got ${x.dtype} [${x.shape}]`);
  }
  const c = x.shape[3];
  return [x.shape[0] * x.shape[1] * x.shape[2], c];
}

function addon(kernelName: string) {
  const lib = nativeAddon();
  if (lib == null) throw new Error(`absnas native ${kernelName}: the native kernels are not in use`);
  return lib;
}

function forwardKernel({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo[] {
  const lib = addon(BATCH_NORM_TRAIN);
  const [x] = need(BATCH_NORM_TRAIN, inputs, 'x');
  const { gamma, beta, runningMean, runningVar } = inputs;
  const [rows, c] = rowsAndChannels(BATCH_NORM_TRAIN, x);
  const updating = runningMean != null && runningVar != null;
  const outs = [backend.makeOutput(x.shape, 'float32'), ...(updating ? [0, 1, 2, 3, 4] : [0, 1, 2]).map(() => backend.makeOutput([c], 'float32'))];
  try {
    const [y, mean, variance, invStd, newMean, newVar] = outs.map((t) => f32(backend, t));
    const args = [
      rows, c, f32(backend, x), gamma ? f32(backend, gamma) : null, beta ? f32(backend, beta) : null,
      Number(attrs.eps), y, mean, variance, invStd,
    ] as const;
    if (updating) {
      const rate = Number(attrs.rate);
      // 1 - rate in double, rounded once to float32, as a tfjs scalar of it would be
      const update = Float64Array.of(rate, 1 - rate, Number(attrs.unbias));
      lib.batchNormForward(...args, f32(backend, runningMean), f32(backend, runningVar), update, newMean, newVar);
    } else {
      lib.batchNormForward(...args);
    }
  } catch (e) {
    for (const t of outs) backend.disposeData(t.dataId);
    throw e;
  }
  countNativeCall();
  return outs;
}

function gradKernel({ inputs, backend }: KernelArgs): tf.TensorInfo[] {
  const lib = addon(BATCH_NORM_TRAIN_GRAD);
  const [dy, x, mean, invStd] = need(BATCH_NORM_TRAIN_GRAD, inputs, 'dy', 'x', 'mean', 'invStd');
  const { gamma } = inputs;
  const [rows, c] = rowsAndChannels(BATCH_NORM_TRAIN_GRAD, x);
  const outs = [backend.makeOutput(x.shape, 'float32'), backend.makeOutput([c], 'float32'), backend.makeOutput([c], 'float32')];
  try {
    const [dx, sumDy, sumDyXhat] = outs.map((t) => f32(backend, t));
    lib.batchNormBackward(
      rows, c, f32(backend, dy), f32(backend, x), f32(backend, mean), f32(backend, invStd),
      gamma ? f32(backend, gamma) : null, dx, sumDy, sumDyXhat,
    );
  } catch (e) {
    for (const t of outs) backend.disposeData(t.dataId);
    throw e;
  }
  countNativeCall();
  return outs;
}

/** Registers the two kernels for 'wasm' (idempotent). */
export function registerNativeBatchNorm(): void {
  for (const [kernelName, f] of [[BATCH_NORM_TRAIN, forwardKernel], [BATCH_NORM_TRAIN_GRAD, gradKernel]] as const) {
    if (tf.getKernel(kernelName, 'wasm') != null) continue;
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: f as unknown as tf.KernelFunc });
  }
}

/** Whether batchNormTrain should run the native kernels now (wasm backend, addon in use). */
export function nativeBatchNormActive(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(BATCH_NORM_TRAIN, 'wasm') != null && nativeAddon() != null;
}

/**
 * The forward kernel through the engine: [y, mean, variance, invStd], then
 * with `running` the updated running mean and variance ([C] each).
 */
export function runBatchNormTrain(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D | undefined,
  beta: tf.Tensor1D | undefined,
  eps: number,
  running?: { mean: tf.Tensor; variance: tf.Tensor; rate: number; unbias: number },
): tf.Tensor[] {
  const inputs: tf.NamedTensorMap = gamma && beta ? { x, gamma, beta } : { x };
  const attrs: tf.NamedAttrMap = { eps };
  if (running) {
    inputs.runningMean = running.mean;
    inputs.runningVar = running.variance;
    attrs.rate = running.rate;
    attrs.unbias = running.unbias;
  }
  return tf.engine().runKernel(BATCH_NORM_TRAIN, inputs, attrs) as unknown as tf.Tensor[];
}

/** The gradient kernel through the engine: [dx, sumDy, sumDyXhat]. */
export function runBatchNormTrainGrad(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  mean: tf.Tensor1D,
  invStd: tf.Tensor1D,
  gamma: tf.Tensor1D | undefined,
): tf.Tensor[] {
  const inputs: tf.NamedTensorMap = gamma ? { dy, x, mean, invStd, gamma } : { dy, x, mean, invStd };
  return tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, inputs, {}) as unknown as tf.Tensor[];
}
