/**
 * AvgPoolGrad that matches tfjs's AvgPool forward.
 *
 * tfjs's AvgPool averages over the real (non-padding) cells of a window, as
 * TensorFlow does (PyTorch's count_include_pad=False), but the stock
 * AvgPoolGrad kernels of the wasm and cpu backends divide by the full window
 * size, so every window that overlaps the padding gets a wrong gradient.
 * This kernel spreads dy[window] / (number of real cells) over the window's
 * real cells. Registered for 'wasm' and 'cpu'.
 *
 * On wasm the spread runs as one XNNPACK depthwise convolution: dy, scaled
 * by 1 / (real cells of its window), correlated with a filter of ones over
 * the "full" padding (zeros inserted between rows and columns first when the
 * stride is > 1). The plain loop remains for geometries the convolution
 * cannot express (padding wider than the window).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  callWasmKernel,
  f32,
  FILL_IN_MARK,
  FillInConfig,
  inputGradGeometry,
  inputGradOperand,
  need,
  PadAttr,
  pair,
  RoundingMode,
  sameShape,
  shape4,
  withScratch,
} from './common';

const NAME = 'AvgPoolGrad';

function poolInfo(input: tf.TensorInfo, dy: tf.TensorInfo, attrs: tf.NamedAttrMap): tf.backend_util.Conv2DInfo {
  const { filterSize, strides, pad, dimRoundingMode, dataFormat } = attrs;
  if (dataFormat != null && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`absnas ${NAME}: only dataFormat 'NHWC' is supported, got '${String(dataFormat)}'`);
  }
  const info = tf.backend_util.computePool2DInfo(
    shape4(input, 'input', NAME),
    pair(filterSize as number | [number, number]),
    pair(strides as number | [number, number]),
    1,
    pad as PadAttr,
    dimRoundingMode as RoundingMode,
  );
  shape4(dy, 'dy', NAME);
  if (!sameShape(dy.shape, info.outShape)) {
    throw new Error(`absnas ${NAME}: dy has shape [${dy.shape}], expected [${info.outShape}]`);
  }
  return info;
}

/** dx (zeroed by the caller) += spread of dy over the real cells of each window. */
function spread(info: tf.backend_util.Conv2DInfo, g: ArrayLike<number>, dx: Float32Array): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const kh = info.effectiveFilterHeight;
  const kw = info.effectiveFilterWidth;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < ho; y++) {
      const r0 = y * sh - top;
      for (let xo = 0; xo < wo; xo++) {
        const c0 = xo * sw - left;
        let count = 0;
        for (let r = r0; r < r0 + kh; r += dh) {
          if (r < 0 || r >= h) continue;
          for (let q = c0; q < c0 + kw; q += dw) if (q >= 0 && q < w) count++;
        }
        if (count === 0) continue;
        const g0 = ((b * ho + y) * wo + xo) * c;
        for (let r = r0; r < r0 + kh; r += dh) {
          if (r < 0 || r >= h) continue;
          for (let q = c0; q < c0 + kw; q += dw) {
            if (q < 0 || q >= w) continue;
            const x0 = ((b * h + r) * w + q) * c;
            for (let ch = 0; ch < c; ch++) dx[x0 + ch] += g[g0 + ch] / count;
          }
        }
      }
    }
  }
}

/** Number of real (non-padding) cells of each output window, per output position [ho * wo]. */
export function windowCounts(info: tf.backend_util.Conv2DInfo): Float32Array {
  const { inHeight: h, inWidth: w, outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info;
  const kh = info.effectiveFilterHeight;
  const kw = info.effectiveFilterWidth;
  const rows = new Float32Array(ho);
  const cols = new Float32Array(wo);
  for (let y = 0; y < ho; y++) {
    const r0 = y * sh - info.padInfo.top;
    rows[y] = Math.min(r0 + kh, h) - Math.max(r0, 0);
  }
  for (let x = 0; x < wo; x++) {
    const c0 = x * sw - info.padInfo.left;
    cols[x] = Math.min(c0 + kw, w) - Math.max(c0, 0);
  }
  const out = new Float32Array(ho * wo);
  for (let y = 0; y < ho; y++) for (let x = 0; x < wo; x++) out[y * wo + x] = Math.max(0, rows[y]) * Math.max(0, cols[x]);
  return out;
}

/** dx through XNNPACK (see the header), or null when the geometry needs the plain loop. */
function avgPoolGradByConvolution(backend: BackendWasm, info: tf.backend_util.Conv2DInfo, dy: tf.TensorInfo): tf.TensorInfo | null {
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  const g = inputGradGeometry(info);
  if (g.top < 0 || g.left < 0 || g.bottom < 0 || g.right < 0) return null;
  const { inChannels: c, outHeight: ho, outWidth: wo } = info;
  const kh = info.effectiveFilterHeight;
  const kw = info.effectiveFilterWidth;
  const counts = windowCounts(info);
  if (counts.some((k) => k === 0)) return null;
  const uniform = counts.every((k) => k === counts[0]);
  return withScratch(backend, (s) => {
    let operand = dy;
    if (!uniform) {
      const scale = s.output([1, ho, wo, 1]);
      const sv = f32(backend, scale);
      for (let i = 0; i < counts.length; i++) sv[i] = 1 / counts[i];
      operand = s.add(callWasmKernel('Multiply', backend, { a: dy, b: scale }, {}));
    }
    const spread = inputGradOperand(backend, s, operand, info);
    const filter = s.output([kh, kw, c, 1]);
    f32(backend, filter).fill(uniform ? 1 / counts[0] : 1);
    const dx = s.add(
      callWasmKernel('DepthwiseConv2dNative', backend, { x: spread.operand, filter }, { strides: [1, 1], pad: spread.padding, dilations: [1, 1], dataFormat: 'NHWC' }),
    );
    if (!sameShape(dx.shape, [info.batchSize, info.inHeight, info.inWidth, c])) {
      throw new Error(`absnas wasm ${NAME}: internal shape mismatch [${dx.shape}]`);
    }
    return s.keep(dx);
  });
}

function avgPoolGradWasm(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { backend } = args;
  const [dy, input] = need(NAME, args.inputs, 'dy', 'input');
  const info = poolInfo(input, dy, args.attrs ?? {});
  const fast = avgPoolGradByConvolution(backend, info, dy);
  if (fast != null) return fast;
  const out = backend.makeOutput(input.shape, 'float32');
  const dx = f32(backend, out);
  dx.fill(0);
  spread(info, f32(backend, dy), dx);
  return out;
}

interface CpuBackendLike {
  readSync(dataId: tf.DataId): unknown;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

function avgPoolGradCpu(args: { inputs: tf.NamedTensorInfoMap; backend: CpuBackendLike; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { backend } = args;
  const [dy, input] = need(NAME, args.inputs, 'dy', 'input');
  const info = poolInfo(input, dy, args.attrs ?? {});
  const dx = new Float32Array(tf.util.sizeFromShape(input.shape));
  spread(info, backend.readSync(dy.dataId) as Float32Array, dx);
  return backend.makeTensorInfo(input.shape, 'float32', dx);
}

export const avgPoolGradWasmConfig: FillInConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: avgPoolGradWasm as unknown as tf.KernelFunc,
  [FILL_IN_MARK]: true,
};

export const avgPoolGradCpuConfig: FillInConfig = {
  kernelName: NAME,
  backendName: 'cpu',
  kernelFunc: avgPoolGradCpu as unknown as tf.KernelFunc,
  [FILL_IN_MARK]: true,
};
