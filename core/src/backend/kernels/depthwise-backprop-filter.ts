/**
 * DepthwiseConv2dNativeBackpropFilter for wasm (missing in tfjs-backend-wasm 4.22).
 *
 *   dW[i, j, c, q] = sum_{n, y, x} xpad[n, y*s + i*d, x*s + j*d, c] * dy[n, y, x, c*m + q]
 *
 * A JS loop over the wasm heap (float64 accumulation); the innermost loop
 * runs over contiguous channels.
 */
import * as tf from '@tensorflow/tfjs';
import { convInfo, f32, fillIn, KernelArgs, need, sameShape, shape4 } from './common';

const NAME = 'DepthwiseConv2dNativeBackpropFilter';

export function depthwiseConv2dNativeBackpropFilter({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo {
  const [x, dy] = need(NAME, inputs, 'x', 'dy');
  const { strides, dilations, pad, dimRoundingMode, filterShape, dataFormat } = attrs;
  if (dataFormat != null && dataFormat !== 'NHWC') {
    throw new Error(`absnas wasm ${NAME}: only dataFormat 'NHWC' is supported, got '${String(dataFormat)}'`);
  }
  shape4(x, 'x', NAME);
  shape4(dy, 'dy', NAME);
  const info = convInfo(NAME, x.shape, filterShape as number[], strides, dilations, pad, dimRoundingMode, true);
  if (!sameShape(dy.shape, info.outShape)) {
    throw new Error(`absnas wasm ${NAME}: dy has shape [${dy.shape}], expected [${info.outShape}]`);
  }
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const m = info.outChannels / c;
  const cm = c * m;
  const top = info.padInfo.top;
  const left = info.padInfo.left;

  const acc = new Float64Array(kh * kw * cm);
  const out = backend.makeOutput([kh, kw, c, m], 'float32');
  // views after the last allocation: the heap may move when it grows
  const xs = f32(backend, x);
  const g = f32(backend, dy);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < ho; y++) {
      for (let i = 0; i < kh; i++) {
        const r = y * sh + i * dh - top;
        if (r < 0 || r >= h) continue;
        for (let xo = 0; xo < wo; xo++) {
          const g0 = ((b * ho + y) * wo + xo) * cm;
          for (let j = 0; j < kw; j++) {
            const col = xo * sw + j * dw - left;
            if (col < 0 || col >= w) continue;
            const x0 = ((b * h + r) * w + col) * c;
            const a0 = (i * kw + j) * cm;
            if (m === 1) {
              for (let ch = 0; ch < c; ch++) acc[a0 + ch] += xs[x0 + ch] * g[g0 + ch];
            } else {
              for (let ch = 0; ch < c; ch++) {
                const xv = xs[x0 + ch];
                const k0 = ch * m;
                for (let q = 0; q < m; q++) acc[a0 + k0 + q] += xv * g[g0 + k0 + q];
              }
            }
          }
        }
      }
    }
  }
  f32(backend, out).set(acc);
  return out;
}

export const depthwiseConv2dNativeBackpropFilterConfig = fillIn(NAME, depthwiseConv2dNativeBackpropFilter);
