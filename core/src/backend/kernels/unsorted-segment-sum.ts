/**
 * UnsortedSegmentSum for wasm (missing in tfjs-backend-wasm 4.22; it is the
 * gradient of gather).
 *
 *   out[k, ...] = sum over positions p of segmentIds with segmentIds[p] == k of x[p, ...]
 *
 * Output shape [numSegments, ...x.shape.slice(segmentIds.rank)], as in
 * TensorFlow. Ids outside [0, numSegments) are dropped.
 */
import * as tf from '@tensorflow/tfjs';
import { fillIn, i32, KernelArgs, need } from './common';

const NAME = 'UnsortedSegmentSum';

export function unsortedSegmentSum({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo {
  const [x, segmentIds] = need(NAME, inputs, 'x', 'segmentIds');
  const numSegments = Number(attrs.numSegments);
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new Error(`absnas wasm ${NAME}: numSegments must be a non-negative integer, got ${String(attrs.numSegments)}`);
  }
  const idsRank = segmentIds.shape.length;
  if (idsRank > x.shape.length || segmentIds.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(
      `absnas wasm ${NAME}: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`,
    );
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`absnas wasm ${NAME}: unsupported dtype ${x.dtype}`);
  }
  const inner = tf.util.sizeFromShape(x.shape.slice(idsRank));
  const count = tf.util.sizeFromShape(segmentIds.shape);
  const out = backend.makeOutput([numSegments, ...x.shape.slice(idsRank)], x.dtype);
  const ids = i32(backend, segmentIds);
  const xs = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  if (x.dtype === 'int32') {
    dst.fill(0);
    for (let p = 0; p < count; p++) {
      const k = ids[p];
      if (k < 0 || k >= numSegments) continue;
      const s0 = p * inner;
      const d0 = k * inner;
      for (let e = 0; e < inner; e++) dst[d0 + e] += xs[s0 + e];
    }
    return out;
  }
  const acc = new Float64Array(numSegments * inner);
  for (let p = 0; p < count; p++) {
    const k = ids[p];
    if (k < 0 || k >= numSegments) continue;
    const s0 = p * inner;
    const d0 = k * inner;
    for (let e = 0; e < inner; e++) acc[d0 + e] += xs[s0 + e];
  }
  dst.set(acc);
  return out;
}

export const unsortedSegmentSumConfig = fillIn(NAME, unsortedSegmentSum);
