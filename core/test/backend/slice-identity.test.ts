/**
 * The wasm Slice, Identity and Cast replacements: Slice against plain index
 * arithmetic for every rank up to 5 and partial / whole axes; Identity
 * shares the buffer and survives the disposal of its source, and so does
 * Cast to the same dtype.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend';
import { counts } from './helpers';
import { seeded, size } from './reference';

/** out[i] = x[begin + i] over all index tuples, row-major. */
function referenceSlice(x: Float64Array, shape: number[], begin: number[], sz: number[]): number[] {
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const out: number[] = [];
  const idx = new Array(shape.length).fill(0);
  const total = size(sz);
  for (let r = 0; r < total; r++) {
    let off = 0;
    for (let d = 0; d < shape.length; d++) off += (begin[d] + idx[d]) * strides[d];
    out.push(x[off]);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < sz[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

const cases: [number[], number[], number[]][] = [
  [[7], [2], [4]],
  [[5, 6], [1, 0], [3, 6]],
  [[5, 6], [0, 2], [5, 3]],
  [[4, 5, 6], [1, 1, 1], [2, 3, 4]],
  [[3, 34, 34, 5], [0, 1, 1, 0], [3, 32, 32, 5]], // the gradient of a spatial pad
  [[3, 8, 8, 5], [1, 0, 0, 0], [2, 8, 8, 5]], // contiguous: whole trailing axes
  [[3, 8, 8, 5], [0, 2, 0, 1], [3, 4, 8, 3]],
  [[2, 3, 4, 5, 6], [1, 1, 0, 2, 0], [1, 2, 4, 3, 6]],
  [[4, 4], [1, 1], [0, 2]], // empty
];

// the wasm kernels, whatever backend the rest of the suite runs on
beforeAll(async () => {
  await selectBackend('wasm');
});

describe('Slice', () => {
  test.each(cases.map((c) => [`[${c[0]}] from [${c[1]}] size [${c[2]}]`, ...c] as const))('%s', (_n, shape, begin, sz) => {
    const v = Float64Array.from(Float32Array.from(seeded(size(shape), 7)));
    const before = counts();
    tf.tidy(() => {
      const x = tf.tensor(Float32Array.from(v), shape);
      const y = tf.slice(x, begin, sz);
      expect(y.shape).toEqual(sz);
      expect(Array.from(y.dataSync())).toEqual(referenceSlice(v, shape, begin, sz));
    });
    expect(counts()).toEqual(before);
  });

  test('int32, bool and string tensors', () => {
    tf.tidy(() => {
      const i = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
      expect(Array.from(tf.slice(i, [0, 1], [2, 2]).dataSync())).toEqual([2, 3, 5, 6]);
      const b = tf.tensor2d([true, false, true, false, false, true], [2, 3], 'bool');
      expect(Array.from(tf.slice(b, [1, 0], [1, 3]).dataSync())).toEqual([0, 0, 1]);
      const s = tf.tensor2d(['a', 'b', 'c', 'd'], [2, 2], 'string');
      expect(tf.slice(s, [0, 1], [2, 1]).arraySync()).toEqual([['b'], ['d']]);
    });
  });
});

describe('Identity', () => {
  test('a clone reads the same values and outlives its source', () => {
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
  });

  test('saved tensors of a training step are released with it', () => {
    const w = tf.variable(tf.randomNormal([3, 3, 2, 2]));
    const x = tf.randomNormal([2, 5, 5, 2]) as tf.Tensor4D;
    const step = () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.relu(tf.conv2d(x, w as unknown as tf.Tensor4D, 1, 'same'))) as tf.Scalar);
      const next = tf.tidy(() => tf.sub(w, tf.mul(grads[w.name], 0.1)));
      w.assign(next);
      tf.dispose([next, value, ...Object.values(grads)]);
    };
    step();
    const before = counts();
    for (let i = 0; i < 3; i++) step();
    expect(counts()).toEqual(before);
    tf.dispose([w, x]);
  });
});

describe('Cast', () => {
  test('to the same dtype: the values, sharing the buffer (on wasm), outliving the source', () => {
    const x = tf.tensor1d([1.5, -2, 3]);
    const before = tf.engine().backend.numDataIds();
    const y = tf.cast(x, 'float32');
    // on wasm the fill-in shares x's buffer: no new data id
    if (tf.getBackend() === 'wasm') expect(tf.engine().backend.numDataIds()).toBe(before);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1.5, -2, 3]);
    y.dispose();
  });

  test('to another dtype: converted as the stock kernel does', () => {
    const x = tf.tensor1d([1.5, -2.7, 3, 0]);
    const asInt = tf.cast(x, 'int32');
    const back = tf.cast(tf.tensor1d([4, -1], 'int32'), 'float32');
    expect(asInt.dtype).toBe('int32');
    expect(Array.from(asInt.dataSync())).toEqual([1, -2, 3, 0]);
    expect(Array.from(back.dataSync())).toEqual([4, -1]);
    tf.dispose([x, asInt, back]);
  });
});
