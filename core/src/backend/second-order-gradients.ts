/**
 * Gradients of the gradient kernels, so that a gradient can itself be
 * differentiated (a Hessian-vector product by double backpropagation, as
 * GraSP takes it).
 *
 * tfjs nests gradients (a gradient computed inside the function of another
 * one is recorded on the outer tape) when every kernel the inner backward
 * pass runs has a gradient. tfjs 4.22 has none for the backprop kernels of
 * depthwise convolutions, Conv2DBackpropFilter, AvgPoolGrad and
 * MaxPoolGrad, its Conv2DBackpropInput gradient assumes dilation 1, and its
 * ReLU6 gradient takes its mask through LessEqual, which has none.
 * `registerSecondOrderGradients` registers (the registry is global: every
 * backend), for conv2d and depthwiseConv2d alike:
 *
 * - BackpropFilter(x, dy): bilinear in x and dy. With ddw the gradient
 *   arriving at its output: d/dy = conv(x, ddw), and d/dx is the input
 *   gradient of conv(x, ddw) for dy (the convolution's own gradient);
 * - BackpropInput(dy, filter): d/ddy = conv(ddx, filter), d/dfilter the
 *   filter gradient of conv(ddx, filter) for dy;
 * - AvgPoolGrad(dy, input): linear in dy, the adjoint of AvgPool, so
 *   d/ddy = avgPool(ddx); the input gives only the shape;
 * - MaxPoolGrad(dy, input, output): linear in dy, which it sends to each
 *   window's maximum, so d/ddy is the value of ddx at each window's maximum
 *   (`maxPoolRouting`, of public ops: every backend, with or without the
 *   native kernels, which wrap the wasm MaxPoolGrad under the same name);
 *   piecewise constant in input and output, so zero for them (exact where
 *   no window has a tie);
 * - Relu6: its gradient dy * (0 < x <= 6) is replaced by the same values
 *   through Step (`relu6Backward`), whose gradient is zero, so that d/ddy =
 *   ddx * (0 < x <= 6) and d/dx = 0, as in PyTorch. (On wasm the native
 *   kernels' registration, native/relu.ts, takes this config's place: its
 *   one-pass kernel where the addon is in use, `relu6Backward` elsewhere.)
 *
 * The convolution cases go through the convolution's registered gradient,
 * so they have its dilation support (conv-gradients.ts). Ops whose gradient
 * is a custom gradient over saved intermediate values (batch norm,
 * log-softmax) take differentiable compositions instead when
 * `inNestedGradient()`. The max-pool routing takes a window's first
 * maximum, as the wasm, native and cpu kernels do; webgpu's MaxPoolGrad
 * sends a tie to the last one, so there, where two different cells tie for
 * a window's maximum, the second-order term reads the other cell.
 */
import * as tf from '@tensorflow/tfjs';
import { pair, PadAttr, RoundingMode } from './kernels/common';

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

/**
 * The max-pool routing of `d` (shaped as the pooled input `x`): for each
 * window of max pooling `x` with `attrs`, the value of `d` at the window's
 * maximum, shaped as the pooled output. It is the adjoint of MaxPoolGrad in
 * its dy (which sends dy to those maxima), found as the kernels find them:
 * the first maximum of the window among its real (non-padding) cells, in
 * row-major order, with the first real cell starting the running maximum
 * whatever its value; a window of padding only gives 0. Composed of pad,
 * slices, comparisons and selects, so every backend runs it: one pass per
 * window offset, each over a tensor of the output's size.
 */
export function maxPoolRouting(d: tf.Tensor4D, x: tf.Tensor4D, attrs: tf.NamedAttrMap): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computePool2DInfo(
      x.shape,
      pair(attrs.filterSize as number | Pair),
      pair(attrs.strides as number | Pair),
      1,
      attrs.pad as PadAttr,
      attrs.dimRoundingMode as RoundingMode,
    );
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info;
    const kh = info.effectiveFilterHeight;
    const kw = info.effectiveFilterWidth;
    const { top, left } = info.padInfo;
    if (n === 0 || ho <= 0 || wo <= 0 || c === 0) return tf.zeros([n, Math.max(ho, 0), Math.max(wo, 0), c]) as tf.Tensor4D;
    // padded so that every window lies inside (what a window reads of the padding is never taken)
    const bottom = Math.max(0, (ho - 1) * sh + kh - top - h);
    const right = Math.max(0, (wo - 1) * sw + kw - left - w);
    const padding: [number, number][] = [[0, 0], [top, bottom], [left, right], [0, 0]];
    const px = top + bottom + left + right > 0 ? tf.pad(x, padding) : x;
    const pd = top + bottom + left + right > 0 ? tf.pad(d, padding) : d;
    const window = (t: tf.Tensor4D, i: number, j: number): tf.Tensor4D =>
      sh === 1 && sw === 1
        ? tf.slice(t, [0, i, j, 0], [n, ho, wo, c])
        : (tf.stridedSlice(t, [0, i, j, 0], [n, i + (ho - 1) * sh + 1, j + (wo - 1) * sw + 1, c], [1, sh, sw, 1]) as tf.Tensor4D);
    // which output positions see a real cell at offset (i, j), and see it first
    const seen = new Uint8Array(ho * wo);
    let best: tf.Tensor4D | undefined;
    let out: tf.Tensor4D | undefined;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const real = new Uint8Array(ho * wo);
        const first = new Uint8Array(ho * wo);
        let allReal = true;
        let anyFirst = false;
        for (let y = 0; y < ho; y++) {
          const r = y * sh - top + i;
          for (let xo = 0; xo < wo; xo++) {
            const col = xo * sw - left + j;
            const k = y * wo + xo;
            real[k] = r >= 0 && r < h && col >= 0 && col < w ? 1 : 0;
            if (!real[k]) allReal = false;
            first[k] = real[k] && !seen[k] ? 1 : 0;
            if (first[k]) anyFirst = true;
            if (real[k]) seen[k] = 1;
          }
        }
        const v = window(px, i, j);
        const dv = window(pd, i, j); // 0 where the cell is padding
        if (best == null || out == null) {
          // offset (0, 0): every position seeing a real cell sees it first
          best = v;
          out = dv;
          continue;
        }
        let take = tf.greater(v, best);
        if (!allReal || anyFirst) {
          const mask = (m: Uint8Array) => tf.tensor4d(m, [1, ho, wo, 1], 'bool');
          take = tf.logicalAnd(mask(real), tf.logicalOr(mask(first), take));
        }
        best = tf.where(take, v, best);
        out = tf.where(take, dv, out);
      }
    }
    return out as tf.Tensor4D;
  });
}

/**
 * dy * (0 < x <= 6), tfjs's ReLU6 gradient, as step(x) - step(x - 6): tfjs's
 * own takes the mask through LessEqual, which has no gradient, so the
 * gradient could not be differentiated again. Step's gradient is zero, as is
 * ReLU6's second derivative wherever it exists. The mask is exactly 0 or 1,
 * so the first-order gradient is tfjs's, bit for bit, for finite x; five
 * kernels, as tfjs's.
 */
export function relu6Backward(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.mul(dy, tf.sub(tf.step(x), tf.step(tf.sub(x, 6))));
}

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
  {
    kernelName: 'MaxPoolGrad',
    inputsToSave: ['input', 'output'],
    gradFunc: (ddx, saved, attrs) => {
      const [input, output] = saved as tf.Tensor4D[];
      return {
        dy: () => maxPoolRouting(ddx as tf.Tensor4D, input, attrs),
        input: () => tf.zerosLike(input),
        output: () => tf.zerosLike(output),
      };
    },
  },
  {
    kernelName: 'Relu6',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      return { x: () => relu6Backward(dy as tf.Tensor, x) };
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
