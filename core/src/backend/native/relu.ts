/**
 * The ReLU gradient on the wasm backend through the native addon: one pass,
 * dx = dy where x > 0, instead of tfjs's step(x), cast and multiply (three
 * full-size ops, ~10% of an NB201 step once the convolutions and batch norm
 * are native).
 *
 * The gradient registry is global, so Relu's gradient config is replaced by
 * one that runs the native kernel (`AbsnasReluGrad`, registered for 'wasm')
 * when the native kernels are in use and dy * step(y) (tfjs's own formula)
 * otherwise.
 *
 * The gradient is taken from ReLU's output y rather than its input x (y > 0
 * exactly where x > 0), as PyTorch's threshold_backward does: y is saved for
 * the next op anyway (the convolution after the ReLU keeps its input), while
 * saving x kept every ReLU input alive until the backward pass (in NB201 the
 * cell's node sums, one full-size tensor each).
 */
import * as tf from '@tensorflow/tfjs';
import { f32, KernelArgs, need } from '../kernels/common';
import { countNativeCall, nativeAddon } from './addon';

/** {dy, y} -> dy where y > 0, else 0 */
export const RELU_GRAD = 'AbsnasReluGrad';

const MARK = Symbol.for('absnas.nativeReluGradient');

type GradConfig = tf.GradConfig & { [MARK]?: true };

function reluGradKernel({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const lib = nativeAddon();
  if (lib == null) throw new Error(`absnas native ${RELU_GRAD}: the native kernels are not in use`);
  const [dy, x] = need(RELU_GRAD, inputs, 'dy', 'y');
  if (dy.dtype !== 'float32' || x.dtype !== 'float32') {
    throw new Error(`absnas native ${RELU_GRAD}: expected float32 tensors, got ${dy.dtype} and ${x.dtype}`);
  }
  const out = backend.makeOutput(x.shape, 'float32');
  try {
    lib.reluBackward(f32(backend, dy), f32(backend, x), f32(backend, out));
  } catch (e) {
    backend.disposeData(out.dataId);
    throw e;
  }
  countNativeCall();
  return out;
}

function nativeReluActive(dy: tf.Tensor, y: tf.Tensor): boolean {
  return tf.getBackend() === 'wasm' && dy.dtype === 'float32' && y.dtype === 'float32' && nativeAddon() != null;
}

/** dy where y > 0, else 0: the gradient of ReLU at output y. */
function reluBackward(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (nativeReluActive(dy, y)) return tf.engine().runKernel(RELU_GRAD, { dy, y }, {}) as tf.Tensor;
  return tf.mul(dy, tf.cast(tf.step(y), 'float32'));
}

/**
 * Registers the kernel for 'wasm' and replaces Relu's gradient as described
 * above; the kernel gets a gradient too (linear in dy, constant in y), so
 * that ReLU's gradient can be differentiated again. Idempotent.
 */
export function registerNativeReluGradient(): void {
  if (tf.getKernel(RELU_GRAD, 'wasm') == null) {
    tf.registerKernel({ kernelName: RELU_GRAD, backendName: 'wasm', kernelFunc: reluGradKernel as unknown as tf.KernelFunc });
  }
  if ((tf.getGradient(RELU_GRAD) as GradConfig | undefined)?.[MARK] !== true) {
    const kernelGradient: GradConfig = {
      kernelName: RELU_GRAD,
      inputsToSave: ['y'],
      gradFunc: (ddx, saved) => {
        const [y] = saved;
        return { dy: () => reluBackward(ddx as tf.Tensor, y), y: () => tf.zerosLike(y) };
      },
      [MARK]: true,
    };
    tf.registerGradient(kernelGradient);
  }
  const current = tf.getGradient('Relu') as GradConfig | undefined;
  if (current == null || current[MARK]) return;
  const config: GradConfig = {
    kernelName: 'Relu',
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [y] = saved;
      return { x: () => reluBackward(dy as tf.Tensor, y) };
    },
    [MARK]: true,
  };
  tf.registerGradient(config);
}
