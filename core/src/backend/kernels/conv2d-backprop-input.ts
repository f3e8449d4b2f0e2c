/**
 * Conv2DBackpropInput for wasm, replacing the stock one (a plain C loop).
 *
 * The input gradient of a correlation is a "full" correlation of dy with the
 * filter rotated by 180 degrees (input and output channels swapped), with
 * the same dilation. For stride > 1 zeros are inserted between the rows and
 * columns of dy first. The correlation itself runs as one XNNPACK Conv2D.
 *
 * Besides tfjs's attributes it accepts an optional `dilations` attribute
 * (tfjs's own Conv2DBackpropInput has none).
 */
import * as tf from '@tensorflow/tfjs';
import {
  assertNHWC,
  callWasmKernel,
  convInfo,
  fillIn,
  inputGradGeometry,
  KernelArgs,
  need,
  rotateFilter,
  sameShape,
  shape4,
  spreadAndPad,
  withScratch,
} from './common';

const NAME = 'Conv2DBackpropInput';

export function conv2DBackpropInput({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo {
  const [dy, filter] = need(NAME, inputs, 'dy', 'filter');
  const { strides, pad, dataFormat, dimRoundingMode, inputShape, dilations } = attrs;
  assertNHWC(NAME, dataFormat);
  const info = convInfo(NAME, inputShape as number[], filter.shape, strides, dilations, pad, dimRoundingMode, false);
  shape4(dy, 'dy', NAME);
  if (!sameShape(dy.shape, info.outShape)) {
    throw new Error(`absnas wasm ${NAME}: dy has shape [${dy.shape}], expected [${info.outShape}]`);
  }
  return withScratch(backend, (s) => {
    const rotated = rotateFilter(backend, s, filter, true);
    const g = inputGradGeometry(info);
    const dilated = [info.dilationHeight, info.dilationWidth];
    const direct = info.strideHeight === 1 && info.strideWidth === 1 && g.top >= 0 && g.bottom >= 0 && g.left >= 0 && g.right >= 0;
    let operand = dy;
    let padding: tf.backend_util.ExplicitPadding = [[0, 0], [g.top, g.bottom], [g.left, g.right], [0, 0]];
    if (!direct) {
      operand = spreadAndPad(
        backend,
        s,
        dy,
        info.strideHeight,
        info.strideWidth,
        g.top,
        g.left,
        info.inHeight + info.effectiveFilterHeight - 1,
        info.inWidth + info.effectiveFilterWidth - 1,
      );
      padding = [[0, 0], [0, 0], [0, 0], [0, 0]];
    }
    const dx = s.add(
      callWasmKernel('Conv2D', backend, { x: operand, filter: rotated }, {
        strides: [1, 1],
        pad: padding,
        dataFormat: 'NHWC',
        dilations: dilated,
      }),
    );
    if (!sameShape(dx.shape, info.inShape)) {
      throw new Error(`absnas wasm ${NAME}: internal shape mismatch [${dx.shape}] vs [${info.inShape}]`);
    }
    return s.keep(dx);
  });
}

export const conv2DBackpropInputConfig = fillIn(NAME, conv2DBackpropInput);
