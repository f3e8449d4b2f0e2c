/**
 * Slice for wasm, copying from the heap in place.
 *
 * The stock kernel first copies the whole input out of the wasm heap
 * (readSync), then copies one innermost row at a time. The gradient of a pad
 * is a slice of the padded map, so every padded op in a training step paid
 * for a full extra copy. This one reads the input through a heap view and
 * copies maximal contiguous runs (the innermost axes the slice takes whole,
 * plus one).
 */
import * as tf from '@tensorflow/tfjs';
import { fillIn, KernelArgs, need } from './common';

const NAME = 'Slice';

export function slice({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo {
  const [x] = need(NAME, inputs, 'x');
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin as number[], attrs.size as number[]);
  const total = tf.util.sizeFromShape(size);
  if (x.dtype === 'string') {
    const values = backend.readSync(x.dataId) as unknown as Uint8Array[];
    const picked: Uint8Array[] = new Array(total);
    copyRuns(x.shape, begin, size, total, (from, to, len) => {
      for (let i = 0; i < len; i++) picked[to + i] = values[from + i];
    });
    return backend.makeOutput(size, 'string', undefined, picked as unknown as tf.backend_util.BackendValues);
  }
  const out = backend.makeOutput(size, x.dtype);
  if (total === 0) return out;
  // views after the allocation: the heap may move when it grows
  const src = backend.typedArrayFromHeap(x) as Float32Array | Int32Array | Uint8Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array | Int32Array | Uint8Array;
  copyRuns(x.shape, begin, size, total, (from, to, len) => dst.set(src.subarray(from, from + len), to));
  return out;
}

/** Calls copy(from, to, length) for each maximal contiguous run of the slice, in order. */
function copyRuns(
  shape: number[],
  begin: number[],
  size: number[],
  total: number,
  copy: (from: number, to: number, length: number) => void,
): void {
  if (total === 0) return;
  const rank = shape.length;
  if (rank === 0) {
    copy(0, 0, 1);
    return;
  }
  const strides = [...tf.util.computeStrides(shape), 1];
  // the innermost axes taken whole merge into one run with the next axis out
  let axis = rank - 1;
  while (axis > 0 && begin[axis] === 0 && size[axis] === shape[axis]) axis--;
  const run = size[axis] * strides[axis];
  const outer = total / run;
  const index = new Array<number>(axis).fill(0);
  for (let r = 0; r < outer; r++) {
    let offset = begin[axis] * strides[axis];
    for (let d = 0; d < axis; d++) offset += (begin[d] + index[d]) * strides[d];
    copy(offset, r * run, run);
    for (let d = axis - 1; d >= 0; d--) {
      if (++index[d] < size[d]) break;
      index[d] = 0;
    }
  }
}

export const sliceConfig = fillIn(NAME, slice);
