/**
 * DepthwiseConv2dNativeBackpropInput for wasm (missing in tfjs-backend-wasm 4.22).
 *
 * As for Conv2DBackpropInput: a stride-1 depthwise correlation (XNNPACK) of dy
 * (zero-spread for stride > 1) with the spatially rotated filter, same
 * dilation. The filter [kh, kw, c, m] is used as [kh, kw, c*m, 1]; for a
 * channel multiplier m > 1 the m partial results of each input channel are
 * summed afterwards.
 */
import * as tf from '@tensorflow/tfjs';
import {
  assertNHWC,
  callWasmKernel,
  convInfo,
  f32,
  fillIn,
  inputGradOperand,
  KernelArgs,
  need,
  rotateFilter,
  sameShape,
  shape4,
  withScratch,
} from './common';

const NAME = 'DepthwiseConv2dNativeBackpropInput';

export function depthwiseConv2dNativeBackpropInput({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo {
  const [dy, filter] = need(NAME, inputs, 'dy', 'filter');
  const { strides, dilations, pad, dimRoundingMode, inputShape, dataFormat } = attrs;
  assertNHWC(NAME, dataFormat);
  const info = convInfo(NAME, inputShape as number[], filter.shape, strides, dilations, pad, dimRoundingMode, true);
  shape4(dy, 'dy', NAME);
  if (!sameShape(dy.shape, info.outShape)) {
    throw new Error(`absnas wasm ${NAME}: dy has shape [${dy.shape}], expected [${info.outShape}]`);
  }
  const [kh, kw, c, m] = filter.shape;
  return withScratch(backend, (s) => {
    const rotated = rotateFilter(backend, s, filter, false);
    const flat = { dataId: rotated.dataId, shape: [kh, kw, c * m, 1], dtype: rotated.dtype };
    const { operand, padding } = inputGradOperand(backend, s, dy, info);
    const r = s.add(
      callWasmKernel('DepthwiseConv2dNative', backend, { x: operand, filter: flat }, {
        strides: [1, 1],
        pad: padding,
        dilations: [info.dilationHeight, info.dilationWidth],
        dataFormat: 'NHWC',
      }),
    );
    const [n, h, w] = info.inShape;
    if (!sameShape(r.shape, [n, h, w, c * m])) {
      throw new Error(`absnas wasm ${NAME}: internal shape mismatch [${r.shape}]`);
    }
    if (m === 1) return s.keep(r);
    const dx = s.output(info.inShape);
    const src = f32(backend, r);
    const dst = f32(backend, dx);
    const pixels = n * h * w;
    for (let p = 0; p < pixels; p++) {
      const s0 = p * c * m;
      const d0 = p * c;
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        const q0 = s0 + ch * m;
        for (let q = 0; q < m; q++) acc += src[q0 + q];
        dst[d0 + ch] = acc;
      }
    }
    return s.keep(dx);
  });
}

export const depthwiseConv2dNativeBackpropInputConfig = fillIn(NAME, depthwiseConv2dNativeBackpropInput);
