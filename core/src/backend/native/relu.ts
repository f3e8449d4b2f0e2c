/**
 * The ReLU and ReLU6 gradients on the wasm backend through the native addon:
 * one pass, dx = dy where the activation passes, instead of tfjs's full-size
 * ops (ReLU: step, cast, multiply, ~10% of an NB201 step once the
 * convolutions and batch norm are native; ReLU6: less-equal, step, casts and
 * two multiplies, ~30% of an MBConv step).
 *
 * The gradient registry is global, so Relu's and Relu6's gradient configs are
 * replaced by ones that run the native kernel (`AbsnasReluGrad`,
 * `AbsnasRelu6Grad`, registered for 'wasm') when the native kernels are in
 * use and tfjs's own formula otherwise. Each kernel gets a gradient too
 * (linear in dy, constant in the saved tensor), so that the activation's
 * gradient can be differentiated again.
 *
 * ReLU's gradient is taken from its output y rather than its input x (y > 0
 * exactly where x > 0), as PyTorch's threshold_backward does: y is saved for
 * the next op anyway (the convolution after the ReLU keeps its input), while
 * saving x kept every ReLU input alive until the backward pass (in NB201 the
 * cell's node sums, one full-size tensor each). ReLU6's is taken from x, as
 * tfjs's (0 < x <= 6: y alone cannot tell x = 6 from x > 6).
 */
import * as tf from '@tensorflow/tfjs';
import { f32, KernelArgs, need } from '../kernels/common';
import { relu6Backward } from '../second-order-gradients';
import { Addon, nativeAddon, nativeOutput } from './addon';

/** {dy, y} -> dy where y > 0, else 0 */
export const RELU_GRAD = 'AbsnasReluGrad';
/** {dy, x} -> dy where 0 < x <= 6, else 0 */
export const RELU6_GRAD = 'AbsnasRelu6Grad';

const MARK = Symbol.for('absnas.nativeReluGradient');

type GradConfig = tf.GradConfig & { [MARK]?: true };

/** One activation whose gradient is dy masked by a test of one saved tensor. */
interface MaskedGradient {
  /** tfjs's forward kernel */
  forward: string;
  /** absnas's gradient kernel */
  kernel: string;
  /** the saved tensor the mask is read from: the forward's output or its input */
  saved: 'y' | 'x';
  native(lib: Addon): (dy: Float32Array, saved: Float32Array, dx: Float32Array) => void;
  /** tfjs's formula, where the native kernels are not in use */
  fallback(dy: tf.Tensor, saved: tf.Tensor): tf.Tensor;
}

const ACTIVATIONS: MaskedGradient[] = [
  {
    forward: 'Relu',
    kernel: RELU_GRAD,
    saved: 'y',
    native: (lib) => lib.reluBackward.bind(lib),
    fallback: (dy, y) => tf.mul(dy, tf.cast(tf.step(y), 'float32')),
  },
  {
    forward: 'Relu6',
    kernel: RELU6_GRAD,
    saved: 'x',
    native: (lib) => lib.relu6Backward.bind(lib),
    fallback: relu6Backward, // tfjs's values, through ops that can be differentiated again
  },
];

function kernelFor(a: MaskedGradient): tf.KernelFunc {
  return (({ inputs, backend }: KernelArgs): tf.TensorInfo => {
    const lib = nativeAddon();
    if (lib == null) throw new Error(`absnas native ${a.kernel}: the native kernels are not in use`);
    const [dy, saved] = need(a.kernel, inputs, 'dy', a.saved);
    if (dy.dtype !== 'float32' || saved.dtype !== 'float32') {
      throw new Error(`absnas native ${a.kernel}: expected float32 tensors, got ${dy.dtype} and ${saved.dtype}`);
    }
    return nativeOutput(backend, saved.shape, (out) => a.native(lib)(f32(backend, dy), f32(backend, saved), out));
  }) as unknown as tf.KernelFunc;
}

function nativeActive(dy: tf.Tensor, saved: tf.Tensor): boolean {
  return tf.getBackend() === 'wasm' && dy.dtype === 'float32' && saved.dtype === 'float32' && nativeAddon() != null;
}

/** dy masked by the activation's test of `saved`: its gradient. */
function backward(a: MaskedGradient, dy: tf.Tensor, saved: tf.Tensor): tf.Tensor {
  if (nativeActive(dy, saved)) return tf.engine().runKernel(a.kernel, { dy, [a.saved]: saved }, {}) as tf.Tensor;
  return a.fallback(dy, saved);
}

function register(a: MaskedGradient): void {
  if (tf.getKernel(a.kernel, 'wasm') == null) {
    tf.registerKernel({ kernelName: a.kernel, backendName: 'wasm', kernelFunc: kernelFor(a) });
  }
  if ((tf.getGradient(a.kernel) as GradConfig | undefined)?.[MARK] !== true) {
    const kernelGradient: GradConfig = {
      kernelName: a.kernel,
      inputsToSave: [a.saved],
      gradFunc: (ddx, [saved]) => ({ dy: () => backward(a, ddx as tf.Tensor, saved), [a.saved]: () => tf.zerosLike(saved) }),
      [MARK]: true,
    };
    tf.registerGradient(kernelGradient);
  }
  const current = tf.getGradient(a.forward) as GradConfig | undefined;
  if (current == null || current[MARK]) return;
  const config: GradConfig = {
    kernelName: a.forward,
    ...(a.saved === 'y' ? { outputsToSave: [true] } : { inputsToSave: ['x'] }),
    gradFunc: (dy, [saved]) => ({ x: () => backward(a, dy as tf.Tensor, saved) }),
    [MARK]: true,
  };
  tf.registerGradient(config);
}

/**
 * Registers the kernels for 'wasm' and replaces Relu's and Relu6's gradients
 * as described above. Idempotent.
 */
export function registerNativeReluGradient(): void {
  for (const a of ACTIVATIONS) register(a);
}
