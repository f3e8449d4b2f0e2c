/**
 * The gradient of AvgPool on backends whose AvgPoolGrad kernel divides by
 * the full window size while AvgPool averages over the real (non-padding)
 * cells only: tfjs-backend-webgpu 4.22 has the bug that absnas's AvgPoolGrad
 * kernels fix for wasm and cpu (see kernels/avg-pool-grad.ts).
 *
 * `registerPoolGradients` replaces AvgPool's gradient config (the registry
 * is global): on wasm, cpu (absnas's kernels) and tensorflow (TensorFlow's
 * own, correct kernel) it runs tfjs's gradient unchanged; elsewhere it
 * scales dy by 1 / (real cells of each window) and spreads it with the input
 * gradient of a depthwise convolution with a filter of ones, a kernel every
 * backend has.
 */
import * as tf from '@tensorflow/tfjs';
import { windowCounts } from './kernels/avg-pool-grad';
import { pair, PadAttr, RoundingMode } from './kernels/common';

const MARK = Symbol.for('absnas.avgPoolGradient');

type GradConfig = tf.GradConfig & { [MARK]?: true };

/** Backends whose AvgPoolGrad kernel is right (absnas's own on wasm and cpu, TensorFlow's). */
const TRUSTED = new Set(['wasm', 'cpu', 'tensorflow']);

/** dx of AvgPool for dy, with public kernels only. */
export function avgPoolGradByDepthwise(dy: tf.Tensor4D, x: tf.Tensor4D, attrs: tf.NamedAttrMap): tf.Tensor4D {
  return tf.tidy(() => {
    const filterSize = pair(attrs.filterSize as number | [number, number]);
    const strides = pair(attrs.strides as number | [number, number]);
    const pad = attrs.pad as PadAttr;
    const dimRoundingMode = attrs.dimRoundingMode as RoundingMode;
    const info = tf.backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad, dimRoundingMode);
    const counts = windowCounts(info);
    const inv = Float32Array.from(counts, (k) => (k > 0 ? 1 / k : 0));
    const scaled = tf.mul(dy, tf.tensor4d(inv, [1, info.outHeight, info.outWidth, 1]));
    const ones = tf.ones([filterSize[0], filterSize[1], x.shape[3], 1]);
    return tf.engine().runKernel(
      'DepthwiseConv2dNativeBackpropInput',
      { dy: scaled, filter: ones },
      { strides, pad, dilations: [1, 1], dimRoundingMode: dimRoundingMode as string, inputShape: x.shape },
    ) as tf.Tensor4D;
  });
}

/** Replaces AvgPool's gradient as described above. Idempotent. */
export function registerPoolGradients(): void {
  const current = tf.getGradient('AvgPool') as GradConfig | undefined;
  if (current != null && current[MARK]) return;
  const config: GradConfig = {
    kernelName: 'AvgPool',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      if (TRUSTED.has(tf.getBackend()) && current != null) return current.gradFunc(dy, saved, attrs);
      const [x] = saved as tf.Tensor4D[];
      if (x.rank !== 4) throw new Error(`Gradient of avgPool: expected an NHWC input, got rank ${x.rank}`);
      return { x: () => avgPoolGradByDepthwise(dy as tf.Tensor4D, x, attrs) };
    },
    [MARK]: true,
  };
  tf.registerGradient(config);
}
