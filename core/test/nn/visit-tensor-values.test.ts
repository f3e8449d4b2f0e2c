/**
 * visitTensorValues: the values it hands out equal the tensors' data (read
 * by dataSync) on wasm, where they are views of the heap, and on the cpu
 * backend, where they are copies; the view is in place (no copy) on wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { visitTensorValues } from '../../src/nn/params';
import { Rng } from '../../src/util/rng';

function randomTensors(rng: Rng): [string, tf.Tensor][] {
  return [[3], [4, 5], [2, 3, 3, 2], [1]].map((shape, i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return [`t${i}`, tf.tensor(Float32Array.from({ length: size }, () => rng.normal()), shape)];
  });
}

async function visited(tensors: [string, tf.Tensor][]): Promise<[string, number[]][]> {
  const out: [string, number[]][] = [];
  await visitTensorValues(tensors, (name, values) => out.push([name, Array.from(values)]));
  return out;
}

describe('visitTensorValues', () => {
  it('hands each tensor its float32 values, in order, on wasm as views of the heap', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const tensors = randomTensors(new Rng(1));
    try {
      expect(await visited(tensors)).toEqual(tensors.map(([name, t]) => [name, Array.from(t.dataSync())]));
      // in place: a view onto the tensor's own memory, not a copy
      let buffer: ArrayBufferLike | undefined;
      await visitTensorValues([tensors[1]], (_, values) => (buffer = values.buffer));
      const wasm = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } };
      expect(buffer).toBe(wasm.wasm.HEAPU8.buffer);
    } finally {
      tensors.forEach(([, t]) => t.dispose());
    }
  });

  it('reads copies on another backend', async () => {
    const before = tf.getBackend();
    await tf.setBackend('cpu');
    const tensors = randomTensors(new Rng(2));
    try {
      expect(await visited(tensors)).toEqual(tensors.map(([name, t]) => [name, Array.from(t.dataSync())]));
    } finally {
      tensors.forEach(([, t]) => t.dispose());
      await tf.setBackend(before);
    }
  });
});
