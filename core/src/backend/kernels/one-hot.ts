/**
 * OneHot for wasm. The stock kernel always writes int32 values, so a float32
 * one-hot holds int32 bit patterns (1 reads as 1.4e-45).
 */
import * as tf from '@tensorflow/tfjs';
import { fillIn, i32, KernelArgs, need } from './common';

const NAME = 'OneHot';

export function oneHot({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo {
  const [indices] = need(NAME, inputs, 'indices');
  const depth = Number(attrs.depth);
  const onValue = attrs.onValue == null ? 1 : Number(attrs.onValue);
  const offValue = attrs.offValue == null ? 0 : Number(attrs.offValue);
  const dtype = (attrs.dtype as tf.DataType | undefined) ?? 'int32';
  if (!Number.isInteger(depth) || depth < 0) throw new Error(`absnas wasm ${NAME}: bad depth ${String(attrs.depth)}`);
  if (dtype !== 'float32' && dtype !== 'int32') throw new Error(`absnas wasm ${NAME}: unsupported dtype ${dtype}`);
  const out = backend.makeOutput([...indices.shape, depth], dtype);
  const ids = i32(backend, indices);
  const dst = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  dst.fill(offValue);
  for (let p = 0; p < ids.length; p++) {
    const k = ids[p];
    if (k >= 0 && k < depth) dst[p * depth + k] = onValue;
  }
  return out;
}

export const oneHotConfig = fillIn(NAME, oneHot);
