import * as tf from '@tensorflow/tfjs';
import { asF32, compare, RELATIVE_TOLERANCE, seeded, size } from './reference';

/** Seeded values that float32 represents exactly, and the matching tfjs tensor. */
export function randomPair(shape: number[], seed: number, lo = -1, hi = 1): { v: Float64Array; t: tf.Tensor } {
  const v = asF32(seeded(size(shape), seed, lo, hi));
  return { v, t: tf.tensor(Float32Array.from(v), shape) };
}

/** Asserts max |got - want| <= rel * max(1, max |want|), with a readable message. */
export function expectClose(label: string, got: ArrayLike<number>, want: ArrayLike<number>, rel = RELATIVE_TOLERANCE): void {
  const { maxAbsError, scale } = compare(got, want);
  const limit = rel * Math.max(1, scale);
  if (!(maxAbsError <= limit)) {
    throw new Error(`${label}: max abs error ${maxAbsError.toExponential(3)} > ${limit.toExponential(3)} (max |ref| ${scale.toFixed(3)})`);
  }
}

export function expectShape(label: string, t: tf.Tensor, shape: number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${label}: shape [${t.shape}] expected [${shape}]`);
  }
}

export type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

export function explicitPad(p: number): tf.backend_util.ExplicitPadding {
  return [[0, 0], [p, p], [p, p], [0, 0]];
}

export function padName(pad: Pad): string {
  return typeof pad === 'string' ? pad : typeof pad === 'number' ? `number ${pad}` : `explicit ${pad[1][0]}`;
}

/** Number of tensors the engine tracks and of data buffers the backend holds. */
export function counts(): { tensors: number; dataIds: number } {
  return { tensors: tf.memory().numTensors, dataIds: tf.engine().backend.numDataIds() };
}
