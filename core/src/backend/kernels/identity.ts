/**
 * Identity for wasm without a copy.
 *
 * The stock kernel copies the whole buffer. tfjs calls Identity for every
 * tensor it saves for the backward pass (`saveTensorsForBackwardMode` clones
 * the inputs and outputs of each recorded kernel), so a training step on the
 * stock kernel copies most of its activations once more. Tensors are
 * immutable (a variable's assign swaps the data id, no kernel writes into an
 * input), so the output can share the input's buffer, reference-counted, as
 * the wasm Reshape kernel and the cpu backend's Identity already do.
 */
import * as tf from '@tensorflow/tfjs';
import { fillIn, KernelArgs, need } from './common';

const NAME = 'Identity';

export function identity({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const [x] = need(NAME, inputs, 'x');
  if (x.dtype === 'string') {
    // strings live outside the heap; keep the stock behaviour (a copy)
    return backend.makeOutput(x.shape, x.dtype, undefined, backend.readSync(x.dataId) as unknown as tf.backend_util.BackendValues);
  }
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityConfig = fillIn(NAME, identity);
