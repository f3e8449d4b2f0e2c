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
  inputGradOperand,
  KernelArgs,
  need,
  rotateFilter,
  sameShape,
  shape4,
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
    const { operand, padding } = inputGradOperand(backend, s, dy, info);
    const dx = s.add(
      callWasmKernel('Conv2D', backend, { x: operand, filter: rotated }, {
        strides: [1, 1],
        pad: padding,
        dataFormat: 'NHWC',
        dilations: [info.dilationHeight, info.dilationWidth],
      }),
    );
    if (!sameShape(dx.shape, info.inShape)) {
      throw new Error(`absnas wasm ${NAME}: internal shape mismatch [${dx.shape}] vs [${info.inShape}]`);
    }
    return s.keep(dx);
  });
}

export const conv2DBackpropInputConfig = fillIn(NAME, conv2DBackpropInput);
