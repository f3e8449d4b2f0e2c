/**
 * MaxPoolGrad for wasm. The stock kernel starts its running maximum at the
 * smallest positive float, so a window whose maximum is <= 0 sends its
 * gradient to the window's first element.
 *
 * Each output position routes its gradient to the first maximum of its
 * window among the real (non-padding) inputs, as tfjs's cpu backend and
 * TensorFlow do. The argmax is recomputed from the input; the saved output
 * is not needed.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, fillIn, KernelArgs, need, PadAttr, pair, RoundingMode, sameShape, shape4 } from './common';

const NAME = 'MaxPoolGrad';

export function maxPoolGrad({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo {
  const [dy, input] = need(NAME, inputs, 'dy', 'input');
  const { filterSize, strides, pad, dimRoundingMode, dataFormat } = attrs;
  if (dataFormat != null && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`absnas wasm ${NAME}: only dataFormat 'NHWC' is supported, got '${String(dataFormat)}'`);
  }
  const xShape = shape4(input, 'input', NAME);
  shape4(dy, 'dy', NAME);
  const info = tf.backend_util.computePool2DInfo(
    xShape,
    pair(filterSize as number | [number, number]),
    pair(strides as number | [number, number]),
    1,
    pad as PadAttr,
    dimRoundingMode as RoundingMode,
  );
  if (!sameShape(dy.shape, info.outShape)) {
    throw new Error(`absnas wasm ${NAME}: dy has shape [${dy.shape}], expected [${info.outShape}]`);
  }
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const kh = info.effectiveFilterHeight;
  const kw = info.effectiveFilterWidth;
  const top = info.padInfo.top;
  const left = info.padInfo.left;

  const out = backend.makeOutput(input.shape, 'float32');
  const xs = f32(backend, input);
  const g = f32(backend, dy);
  const dx = f32(backend, out);
  dx.fill(0);
  const best = new Float32Array(c);
  const arg = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < ho; y++) {
      const r0 = y * sh - top;
      for (let xo = 0; xo < wo; xo++) {
        const c0 = xo * sw - left;
        let first = true;
        for (let i = 0; i < kh; i += dh) {
          const r = r0 + i;
          if (r < 0 || r >= h) continue;
          for (let j = 0; j < kw; j += dw) {
            const col = c0 + j;
            if (col < 0 || col >= w) continue;
            const x0 = ((b * h + r) * w + col) * c;
            if (first) {
              // the first real cell starts the running maximum, whatever its value
              for (let ch = 0; ch < c; ch++) {
                best[ch] = xs[x0 + ch];
                arg[ch] = x0 + ch;
              }
              first = false;
              continue;
            }
            for (let ch = 0; ch < c; ch++) {
              const v = xs[x0 + ch];
              if (v > best[ch]) {
                best[ch] = v;
                arg[ch] = x0 + ch;
              }
            }
          }
        }
        if (first) continue; // a window made of padding only
        const g0 = ((b * ho + y) * wo + xo) * c;
        for (let ch = 0; ch < c; ch++) dx[arg[ch]] += g[g0 + ch];
      }
    }
  }
  return out;
}

export const maxPoolGradConfig = fillIn(NAME, maxPoolGrad);
