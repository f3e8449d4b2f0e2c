/**
 * Conv2DBackpropFilter for wasm (missing in tfjs-backend-wasm 4.22).
 *
 *   dW[i, j, ci, co] = sum_{n, y, x} xpad[n, y*s + i*d, x*s + j*d, ci] * dy[n, y, x, co]
 *
 * is one ordinary correlation once batch and channel axes are swapped:
 * input  X' = x transposed to [ci, h, w, n],
 * filter F' = dy transposed to [y, x, n, co],
 * stride d (the forward dilation) and dilation s (the forward stride).
 * Its output [ci, i, j, co] is transposed to [i, j, ci, co]. The whole
 * reduction runs in one XNNPACK Conv2D.
 *
 * Besides tfjs's attributes it accepts an optional `dilations` attribute.
 */
import * as tf from '@tensorflow/tfjs';
import {
  assertNHWC,
  callWasmKernel,
  convInfo,
  f32,
  fillIn,
  KernelArgs,
  need,
  sameShape,
  shape4,
  withScratch,
} from './common';

const NAME = 'Conv2DBackpropFilter';

export function conv2DBackpropFilter({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo {
  const [x, dy] = need(NAME, inputs, 'x', 'dy');
  const { strides, pad, dataFormat, dimRoundingMode, filterShape, dilations } = attrs;
  assertNHWC(NAME, dataFormat);
  shape4(x, 'x', NAME);
  shape4(dy, 'dy', NAME);
  const info = convInfo(NAME, x.shape, filterShape as number[], strides, dilations, pad, dimRoundingMode, false);
  if (!sameShape(dy.shape, info.outShape)) {
    throw new Error(`absnas wasm ${NAME}: dy has shape [${dy.shape}], expected [${info.outShape}]`);
  }
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = info;
  return withScratch(backend, (s) => {
    const xT = s.add(callWasmKernel('Transpose', backend, { x }, { perm: [3, 1, 2, 0] }));
    const dyT = s.add(callWasmKernel('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] }));
    // rows of xpad that the last filter tap of the last output row reaches
    const needH = (kh - 1) * info.dilationHeight + (info.outHeight - 1) * info.strideHeight + 1;
    const needW = (kw - 1) * info.dilationWidth + (info.outWidth - 1) * info.strideWidth + 1;
    // a negative bottom/right pad would crop rows that no tap reads: pad 0 and drop extra outputs
    const bottom = Math.max(0, needH - info.inHeight - info.padInfo.top);
    const right = Math.max(0, needW - info.inWidth - info.padInfo.left);
    const z = s.add(
      callWasmKernel('Conv2D', backend, { x: xT, filter: dyT }, {
        strides: [info.dilationHeight, info.dilationWidth],
        dilations: [info.strideHeight, info.strideWidth],
        pad: [[0, 0], [info.padInfo.top, bottom], [info.padInfo.left, right], [0, 0]],
        dataFormat: 'NHWC',
      }),
    );
    const [, zh, zw] = z.shape;
    if (zh < kh || zw < kw) throw new Error(`absnas wasm ${NAME}: internal shape mismatch [${z.shape}]`);
    const dw = s.output([kh, kw, ci, co]);
    const src = f32(backend, z);
    const dst = f32(backend, dw);
    for (let c = 0; c < ci; c++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const s0 = ((c * zh + i) * zw + j) * co;
          dst.set(src.subarray(s0, s0 + co), ((i * kw + j) * ci + c) * co);
        }
      }
    }
    return s.keep(dw);
  });
}

export const conv2DBackpropFilterConfig = fillIn(NAME, conv2DBackpropFilter);
