/**
 * Gradients of the gradient kernels, so that a gradient can itself be
 * differentiated (a Hessian-vector product by double backpropagation, as
 * GraSP takes it).
 *
 * tfjs nests gradients (a gradient computed inside the function of another
 * one is recorded on the outer tape) when every kernel the inner backward
 * pass runs has a gradient. tfjs 4.22 has none for the backprop kernels of
 * depthwise convolutions, Conv2DBackpropFilter and AvgPoolGrad, and its
 * Conv2DBackpropInput gradient assumes dilation 1.
 * `registerSecondOrderGradients` registers (the registry is global: every
 * backend), for conv2d and depthwiseConv2d alike:
 *
 * - BackpropFilter(x, dy): bilinear in x and dy. With ddw the gradient
 *   arriving at its output: d/dy = conv(x, ddw), and d/dx is the input
 *   gradient of conv(x, ddw) for dy (the convolution's own gradient);
 * - BackpropInput(dy, filter): d/ddy = conv(ddx, filter), d/dfilter the
 *   filter gradient of conv(ddx, filter) for dy;
 * - AvgPoolGrad(dy, input): linear in dy, the adjoint of AvgPool, so
 *   d/ddy = avgPool(ddx); the input gives only the shape.
 *
 * The convolution cases go through the convolution's registered gradient,
 * so they have its dilation support (conv-gradients.ts). Ops whose gradient
 * is a custom gradient over saved intermediate values (batch norm,
 * log-softmax) take differentiable compositions instead when
 * `inNestedGradient()`. Not yet twice differentiable: max pooling
 * (MaxPoolGrad) and ReLU6 (its gradient compares).
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

/**
 * f(x) as a constant: its gradient with respect to x is zero (tfjs has no
 * stopGradient). For values the result does not depend on, such as the
 * shift of a log-softmax or the scale of a batch norm's input, so that the
 * zero gradient is exact.
 */
export function constantOf(x: tf.Tensor, f: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  const op = tf.customGrad(((input: tf.Tensor) => ({ value: f(input), gradFunc: () => tf.zerosLike(input) })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x) as tf.Tensor;
}

type ConvolutionGradient = { x: () => tf.Tensor; filter: () => tf.Tensor };

/**
 * The two backprop kernels of a convolution (`forward`: Conv2D or
 * DepthwiseConv2dNative), differentiated through the convolution itself:
 * `op` runs it, and its registered gradient (absnas's, with dilations) gives
 * the other halves.
 */
function convolutionConfigs(
  forward: string,
  op: (x: tf.Tensor4D, filter: tf.Tensor4D, attrs: tf.NamedAttrMap) => tf.Tensor4D,
): GradConfig[] {
  const gradient = (dy: tf.Tensor, x: tf.Tensor, filter: tf.Tensor, attrs: tf.NamedAttrMap): ConvolutionGradient => {
    const config = tf.getGradient(forward);
    if (config == null) throw new Error(`tfjs has no gradient registered for ${forward}`);
    return config.gradFunc(dy, [x, filter], { ...attrs, dilations: attrs.dilations ?? 1 }) as unknown as ConvolutionGradient;
  };
  return [
    {
      kernelName: `${forward}BackpropFilter`,
      inputsToSave: ['x', 'dy'],
      gradFunc: (ddw, saved, attrs) => {
        const [x, dy] = saved as tf.Tensor4D[];
        const w = ddw as tf.Tensor4D;
        return { x: () => gradient(dy, x, w, attrs).x(), dy: () => op(x, w, attrs) };
      },
    },
    {
      kernelName: `${forward}BackpropInput`,
      inputsToSave: ['dy', 'filter'],
      gradFunc: (ddx, saved, attrs) => {
        const [dy, filter] = saved as tf.Tensor4D[];
        const d = ddx as tf.Tensor4D;
        return { dy: () => op(d, filter, attrs), filter: () => gradient(dy, d, filter, attrs).filter() };
      },
    },
  ];
}

type Pair = [number, number];

const CONFIGS: GradConfig[] = [
  ...convolutionConfigs('Conv2D', (x, filter, a) =>
    tf.conv2d(x, filter, a.strides as Pair, a.pad as 'valid', a.dataFormat as 'NHWC', (a.dilations ?? 1) as Pair, a.dimRoundingMode as 'round'),
  ),
  ...convolutionConfigs('DepthwiseConv2dNative', (x, filter, a) =>
    tf.depthwiseConv2d(x, filter, a.strides as Pair, a.pad as 'valid', 'NHWC', (a.dilations ?? 1) as Pair, a.dimRoundingMode as 'round'),
  ),
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
