/**
 * Gradients of the gradient kernels, so that a gradient can itself be
 * differentiated (a Hessian-vector product by double backpropagation, as
 * GraSP takes it).
 *
 * tfjs nests gradients (a gradient computed inside the function of another
 * one is recorded on the outer tape) when every kernel the inner backward
 * pass runs has a gradient. tfjs 4.22 has none for Conv2DBackpropFilter
 * and AvgPoolGrad, and its Conv2DBackpropInput gradient assumes dilation 1.
 * `registerSecondOrderGradients` registers (the registry is global: every
 * backend)
 *
 * - Conv2DBackpropFilter(x, dy): bilinear in x and dy. With ddw the
 *   gradient arriving at its output: d/dy = conv2d(x, ddw), and d/dx is the
 *   input gradient of conv2d(x, ddw) for dy (Conv2D's own gradient);
 * - Conv2DBackpropInput(dy, filter): d/ddy = conv2d(ddx, filter), d/dfilter
 *   the filter gradient of conv2d(ddx, filter) for dy;
 * - AvgPoolGrad(dy, input): linear in dy, the adjoint of AvgPool, so
 *   d/ddy = avgPool(ddx); the input gives only the shape.
 *
 * Both convolution cases go through Conv2D's registered gradient, so they
 * have its dilation support (conv-gradients.ts). Ops whose gradient is a
 * custom gradient over saved intermediate values (batch norm, log-softmax)
 * take differentiable compositions instead when `inNestedGradient()`.
 */
import * as tf from '@tensorflow/tfjs';

const MARK = Symbol.for('absnas.secondOrderGradient');

type GradConfig = tf.GradConfig & { [MARK]?: true };

interface EngineState {
  state: { gradientDepth: number };
}

/**
 * True while a gradient is being taken inside the function of another one
 * (tf.grad of a function that calls tf.grad): ops run now are differentiated
 * twice, so their gradients must be compositions of recorded, differentiable
 * ops.
 */
export function inNestedGradient(): boolean {
  return (tf.engine() as unknown as EngineState).state.gradientDepth > 1;
}

/** Conv2D's gradient (absnas's, with dilations) for input x, filter and output gradient dy. */
function conv2DGradient(dy: tf.Tensor, x: tf.Tensor, filter: tf.Tensor, attrs: tf.NamedAttrMap): { x: () => tf.Tensor; filter: () => tf.Tensor } {
  const config = tf.getGradient('Conv2D');
  if (config == null) throw new Error('tfjs has no gradient registered for Conv2D');
  const grads = config.gradFunc(dy, [x, filter], { ...attrs, dilations: attrs.dilations ?? 1 });
  return grads as unknown as { x: () => tf.Tensor; filter: () => tf.Tensor };
}

function conv2d(x: tf.Tensor, filter: tf.Tensor, attrs: tf.NamedAttrMap): tf.Tensor4D {
  return tf.conv2d(
    x as tf.Tensor4D,
    filter as tf.Tensor4D,
    attrs.strides as [number, number],
    attrs.pad as 'valid',
    attrs.dataFormat as 'NHWC',
    (attrs.dilations ?? 1) as [number, number],
    attrs.dimRoundingMode as 'round',
  );
}

const CONFIGS: GradConfig[] = [
  {
    kernelName: 'Conv2DBackpropFilter',
    inputsToSave: ['x', 'dy'],
    gradFunc: (ddw, saved, attrs) => {
      const [x, dy] = saved;
      const w = ddw as tf.Tensor;
      return {
        x: () => conv2DGradient(dy, x, w, attrs).x(),
        dy: () => conv2d(x, w, attrs),
      };
    },
  },
  {
    kernelName: 'Conv2DBackpropInput',
    inputsToSave: ['dy', 'filter'],
    gradFunc: (ddx, saved, attrs) => {
      const [dy, filter] = saved;
      const d = ddx as tf.Tensor;
      return {
        dy: () => conv2d(d, filter, attrs),
        filter: () => conv2DGradient(dy, d, filter, attrs).filter(),
      };
    },
  },
  {
    kernelName: 'AvgPoolGrad',
    inputsToSave: ['input'],
    gradFunc: (ddx, saved, attrs) => {
      const [input] = saved;
      return {
        dy: () =>
          tf.avgPool(
            ddx as tf.Tensor4D,
            attrs.filterSize as [number, number],
            attrs.strides as [number, number],
            attrs.pad as 'valid',
            attrs.dimRoundingMode as 'round',
          ),
        input: () => tf.zerosLike(input),
      };
    },
  },
];

/** Registers the gradients above, replacing tfjs's. Idempotent. */
export function registerSecondOrderGradients(): void {
  for (const config of CONFIGS) {
    const current = tf.getGradient(config.kernelName) as GradConfig | undefined;
    if (current != null && current[MARK]) continue;
    tf.registerGradient({ ...config, [MARK]: true } as GradConfig);
  }
}
