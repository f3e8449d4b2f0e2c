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
 * A 1x1 filter with stride 1 and no padding is a plain GEMM instead,
 * dW = x^T dy over the N*H*W rows (XNNPACK fully connected).
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
  Scratch,
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
  const pointwise =
    kh === 1 && kw === 1 && info.strideHeight === 1 && info.strideWidth === 1 &&
    info.padInfo.top === 0 && info.padInfo.left === 0 && info.padInfo.bottom === 0 && info.padInfo.right === 0;
  return withScratch(backend, (s) => {
    if (pointwise) {
      // [ci, M] . [M, co]: the transposed input as A (streamed), dy as B
      const m = x.shape[0] * x.shape[1] * x.shape[2];
      const a = transpose2d(backend, s, x, m, ci);
      const b = { ...dy, shape: [1, m, co] };
      const z = s.keep(callWasmKernel('BatchMatMul', backend, { a, b }, { transposeA: false, transposeB: false }));
      // (the same buffer seen as [1, 1, ci, co], as the Reshape kernel does)
      return { ...z, shape: [1, 1, ci, co] };
    }
    const xT = transposeLastToFirst(backend, s, x);
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

/**
 * [n, h, w, c] -> [c, h, w, n]. For few channels a loop over the heap is
 * about twice as fast as the stock Transpose kernel; otherwise the kernel.
 */
function transposeLastToFirst(backend: KernelArgs['backend'], s: Scratch, x: tf.TensorInfo): tf.TensorInfo {
  const [n, h, w, c] = x.shape;
  if (c > 16) return s.add(callWasmKernel('Transpose', backend, { x }, { perm: [3, 1, 2, 0] }));
  const out = s.output([c, h, w, n]);
  const src = f32(backend, x);
  const dst = f32(backend, out);
  const hw = h * w;
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < hw; p++) {
      const s0 = (b * hw + p) * c;
      for (let k = 0; k < c; k++) dst[(k * hw + p) * n + b] = src[s0 + k];
    }
  }
  return out;
}

/** A [rows, cols] matrix (any tensor of that size) transposed, as [1, cols, rows]. */
function transpose2d(backend: KernelArgs['backend'], s: Scratch, x: tf.TensorInfo, rows: number, cols: number): tf.TensorInfo {
  if (cols > 16) {
    const t = s.add(callWasmKernel('Transpose', backend, { x: { ...x, shape: [rows, cols] } }, { perm: [1, 0] }));
    return { ...t, shape: [1, cols, rows] };
  }
  const out = s.output([1, cols, rows]);
  const src = f32(backend, x);
  const dst = f32(backend, out);
  for (let r = 0; r < rows; r++) {
    const s0 = r * cols;
    for (let k = 0; k < cols; k++) dst[k * rows + r] = src[s0 + k];
  }
  return out;
}

export const conv2DBackpropFilterConfig = fillIn(NAME, conv2DBackpropFilter);
