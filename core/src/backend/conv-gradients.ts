/**
 * Gradients of dilated convolutions.
 *
 * tfjs 4.22's gradients of Conv2D and DepthwiseConv2dNative assert that the
 * dilation is 1, so a dilated convolution (DARTS's dil_conv) cannot be
 * trained on any backend. `registerDilatedConvGradients` replaces the two
 * gradient configs (the registry is global, not per backend): with dilation
 * 1 they call tfjs's own gradient unchanged; with dilation > 1 they run
 *
 * - on wasm with the fill-ins registered: the backprop kernels, passing the
 *   dilation (the fill-ins support it);
 * - elsewhere: compositions of public ops that every backend has (dilated
 *   forward convolutions, transposes, pads), because the cpu backend's
 *   backprop kernels ignore the dilation attribute.
 *
 * As in tfjs's forward ops, a dilation > 1 needs stride 1.
 */
import * as tf from '@tensorflow/tfjs';
import { inputGradGeometry, pair, PadAttr, RoundingMode } from './kernels/common';
import { wasmFillInsRegistered } from './wasm-kernels';

const MARK = Symbol.for('absnas.dilatedConvGradient');

type GradConfig = tf.GradConfig & { [MARK]?: true };

function isOne(d: [number, number]): boolean {
  return d[0] === 1 && d[1] === 1;
}

/** Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC tensor. */
function padOrCrop(t: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  return tf.tidy(() => {
    let r = t;
    if (top > 0 || bottom > 0 || left > 0 || right > 0) {
      r = tf.pad(r, [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]]);
    }
    if (top < 0 || bottom < 0 || left < 0 || right < 0) {
      const h = t.shape[1] + top + bottom;
      const w = t.shape[2] + left + right;
      r = tf.slice(r, [0, Math.max(0, -top), Math.max(0, -left), 0], [-1, h, w, -1]);
    }
    return r;
  });
}

interface Geometry {
  info: tf.backend_util.Conv2DInfo;
  dilations: [number, number];
  /** bottom / right padding of x that makes the filter-gradient correlation exactly kh x kw */
  fBottom: number;
  fRight: number;
}

function geometry(
  op: string,
  x: tf.Tensor,
  filter: tf.Tensor,
  attrs: tf.NamedAttrMap,
  depthwise: boolean,
): Geometry {
  const strides = pair(attrs.strides as number | [number, number]);
  const dilations = pair(attrs.dilations as number | [number, number] | undefined);
  if (!isOne(strides)) {
    throw new Error(
      `Gradient of ${op}: dilations [${dilations}] need strides 1, got strides [${strides}]`,
    );
  }
  const dataFormat = attrs.dataFormat;
  if (dataFormat != null && dataFormat !== 'NHWC') {
    throw new Error(`Gradient of ${op}: only dataFormat 'NHWC' is supported with dilations > 1, got '${String(dataFormat)}'`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides,
    dilations,
    attrs.pad as PadAttr,
    attrs.dimRoundingMode as RoundingMode,
    depthwise,
    'channelsLast',
  );
  const needH = (info.filterHeight - 1) * info.dilationHeight + info.outHeight;
  const needW = (info.filterWidth - 1) * info.dilationWidth + info.outWidth;
  return {
    info,
    dilations,
    fBottom: needH - info.inHeight - info.padInfo.top,
    fRight: needW - info.inWidth - info.padInfo.left,
  };
}

function useWasmKernels(): boolean {
  return tf.getBackend() === 'wasm' && wasmFillInsRegistered();
}

function conv2DGrad(original: tf.GradConfig | undefined): tf.GradFunc {
  return (dy, saved, attrs) => {
    const dilations = pair(attrs.dilations as number | [number, number] | undefined);
    if (isOne(dilations)) {
      if (original == null) throw new Error('tfjs has no gradient registered for Conv2D');
      return original.gradFunc(dy, saved, attrs);
    }
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const g = geometry('conv2d', x, filter, attrs, false);
    const dy4 = dy as tf.Tensor4D;
    if (useWasmKernels()) {
      const common = { strides: 1, pad: attrs.pad, dataFormat: 'NHWC', dimRoundingMode: attrs.dimRoundingMode, dilations };
      return {
        x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: dy4, filter }, { ...common, inputShape: x.shape }) as tf.Tensor,
        filter: () =>
          tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dy4 }, { ...common, filterShape: filter.shape }) as tf.Tensor,
      };
    }
    const { info } = g;
    return {
      x: () =>
        tf.tidy(() => {
          const p = inputGradGeometry(info);
          const rotated = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
          const operand = padOrCrop(dy4, p.top, p.bottom, p.left, p.right);
          return tf.conv2d(operand, rotated, 1, 'valid', 'NHWC', dilations);
        }),
      filter: () =>
        tf.tidy(() => {
          // batch and channel axes swapped: [ci, h, w, n] correlated with [ho, wo, n, co], stride = dilation
          const xT = padOrCrop(tf.transpose(x, [3, 1, 2, 0]), info.padInfo.top, g.fBottom, info.padInfo.left, g.fRight);
          const dyT = tf.transpose(dy4, [1, 2, 0, 3]);
          const z = tf.conv2d(xT, dyT, dilations, 'valid', 'NHWC', 1);
          return tf.transpose(z, [1, 2, 0, 3]);
        }),
    };
  };
}

function depthwiseGrad(original: tf.GradConfig | undefined): tf.GradFunc {
  return (dy, saved, attrs) => {
    const dilations = pair(attrs.dilations as number | [number, number] | undefined);
    if (isOne(dilations)) {
      if (original == null) throw new Error('tfjs has no gradient registered for DepthwiseConv2dNative');
      return original.gradFunc(dy, saved, attrs);
    }
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const g = geometry('depthwiseConv2d', x, filter, attrs, true);
    const dy4 = dy as tf.Tensor4D;
    if (useWasmKernels()) {
      const common = { strides: 1, pad: attrs.pad, dimRoundingMode: attrs.dimRoundingMode, dilations };
      return {
        x: () =>
          tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dy4, filter }, { ...common, inputShape: x.shape }) as tf.Tensor,
        filter: () =>
          tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy: dy4 }, { ...common, filterShape: filter.shape }) as tf.Tensor,
      };
    }
    const { info } = g;
    const [kh, kw, c, m] = filter.shape;
    const [n, h, w] = x.shape;
    const [, ho, wo] = dy4.shape;
    return {
      x: () =>
        tf.tidy(() => {
          const p = inputGradGeometry(info);
          const rotated = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, c * m, 1]) as tf.Tensor4D;
          const operand = padOrCrop(dy4, p.top, p.bottom, p.left, p.right);
          const r = tf.depthwiseConv2d(operand, rotated, 1, 'valid', 'NHWC', dilations);
          return m === 1 ? r : tf.sum(tf.reshape(r, [n, h, w, c, m]), 4);
        }),
      filter: () =>
        tf.tidy(() => {
          // batch folded into channels: x as [1, h, w, n*c], dy as a filter [ho, wo, n*c, m], stride = dilation
          const xx = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, h, w, n * c]) as tf.Tensor4D;
          const xp = padOrCrop(xx, info.padInfo.top, g.fBottom, info.padInfo.left, g.fRight);
          const f = tf.reshape(tf.transpose(dy4, [1, 2, 0, 3]), [ho, wo, n * c, m]) as tf.Tensor4D;
          const z = tf.depthwiseConv2d(xp, f, dilations, 'valid', 'NHWC', 1);
          return tf.sum(tf.reshape(z, [kh, kw, n, c, m]), 2);
        }),
    };
  };
}

/**
 * Replaces tfjs's gradients of Conv2D and DepthwiseConv2dNative with ones
 * that also handle dilation > 1. Idempotent.
 */
export function registerDilatedConvGradients(): void {
  const makers: [string, (o: tf.GradConfig | undefined) => tf.GradFunc][] = [
    ['Conv2D', conv2DGrad],
    ['DepthwiseConv2dNative', depthwiseGrad],
  ];
  for (const [kernelName, make] of makers) {
    const current = tf.getGradient(kernelName) as GradConfig | undefined;
    if (current != null && current[MARK]) continue;
    const config: GradConfig = {
      kernelName,
      inputsToSave: ['x', 'filter'],
      gradFunc: make(current),
      [MARK]: true,
    };
    tf.registerGradient(config);
  }
}
