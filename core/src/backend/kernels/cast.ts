/**
 * Cast for wasm without a copy when the dtype does not change.
 *
 * tfjs's avgPool op casts its result to the input's dtype, so every average
 * pooling also copied its whole output with the stock kernel. A cast to the
 * same dtype shares the buffer, reference-counted, as Identity does
 * (identity.ts); a real conversion copies as the stock kernel does.
 */
import * as tf from '@tensorflow/tfjs';
import { fillIn, KernelArgs, need } from './common';
import { identity } from './identity';

const NAME = 'Cast';

export function cast(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const [x] = need(NAME, inputs, 'x');
  const dtype = attrs.dtype as tf.DataType;
  if (dtype === x.dtype) return identity(args);
  const out = backend.makeOutput(x.shape, dtype);
  const from = backend.typedArrayFromHeap(x);
  (backend.typedArrayFromHeap(out) as Float32Array).set(from as ArrayLike<number>);
  return out;
}

export const castConfig = fillIn(NAME, cast);
