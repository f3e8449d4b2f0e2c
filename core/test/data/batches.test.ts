import * as tf from '@tensorflow/tfjs';
import { batches, countBatches, cropFlip, oneHot } from '../../src/data/batches';
import type { ImageSet } from '../../src/data/dataset';
import { loadSynthetic } from '../../src/data/synthetic';
import { DataError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';

/** `count` images of H x W x C whose every value encodes (item, y, x, c). */
function indexedSet(count: number, H: number, W: number, C: number, numClasses: number): ImageSet {
  const images = new Float32Array(count * H * W * C);
  for (let i = 0; i < count; i++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) images[((i * H + y) * W + x) * C + c] = 1 + i * 1000 + y * 100 + x * 10 + c;
  const labels = Int32Array.from({ length: count }, (_, i) => i % numClasses);
  return { images, labels, count };
}

const item = (v: number): number => Math.floor((v - 1) / 1000);

describe('batches', () => {
  const input = { height: 4, width: 3, channels: 2, numClasses: 5 };

  test('in order without an rng; the last batch is partial; one-hot is right', () => {
    const set = indexedSet(10, 4, 3, 2, 5);
    const seen: number[] = [];
    const sizes: number[] = [];
    for (const b of batches(set, input, 4)) {
      expect(b.x.shape).toEqual([b.size, 4, 3, 2]);
      expect(b.x.dtype).toBe('float32');
      expect(b.y.shape).toEqual([b.size, 5]);
      expect(b.y.dtype).toBe('float32');
      const x = b.x.dataSync();
      const y = b.y.arraySync();
      for (let k = 0; k < b.size; k++) {
        const i = item(x[k * 24]);
        seen.push(i);
        expect(b.labels[k]).toBe(set.labels[i]);
        expect(y[k]).toEqual([0, 1, 2, 3, 4].map((c) => (c === set.labels[i] ? 1 : 0)));
        // the image itself is copied whole
        expect(Array.from(x.subarray(k * 24, (k + 1) * 24))).toEqual(Array.from(set.images.subarray(i * 24, (i + 1) * 24)));
      }
      sizes.push(b.size);
      b.x.dispose();
      b.y.dispose();
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sizes).toEqual([4, 4, 2]);
  });

  test('shuffled: every example exactly once per epoch, order differs across epochs, deterministic per seed', () => {
    const set = indexedSet(103, 4, 3, 2, 5);
    const epoch = (rng: Rng): number[] => {
      const order: number[] = [];
      for (const b of batches(set, input, 16, { rng })) {
        const x = b.x.dataSync();
        for (let k = 0; k < b.size; k++) {
          const i = item(x[k * 24]);
          expect(b.labels[k]).toBe(set.labels[i]);
          order.push(i);
        }
        tf.dispose([b.x, b.y]);
      }
      return order;
    };
    const rng = new Rng(11);
    const e1 = epoch(rng);
    const e2 = epoch(rng);
    for (const e of [e1, e2]) expect([...e].sort((a, b) => a - b)).toEqual(Array.from({ length: 103 }, (_, i) => i));
    expect(e1).not.toEqual(e2);
    expect(e1).not.toEqual(Array.from({ length: 103 }, (_, i) => i));
    expect(epoch(new Rng(11))).toEqual(e1);
  });

  test('dropLast and limit', () => {
    const set = indexedSet(10, 4, 3, 2, 5);
    const sizes = (opts: Parameters<typeof batches>[3]): number[] => {
      const out: number[] = [];
      for (const b of batches(set, input, 4, opts)) {
        out.push(b.size);
        tf.dispose([b.x, b.y]);
      }
      return out;
    };
    expect(sizes({ dropLast: true })).toEqual([4, 4]);
    expect(sizes({ limit: 2 })).toEqual([4, 4]);
    expect(sizes({ limit: 0 })).toEqual([]);
    expect(sizes({ limit: 10 })).toEqual([4, 4, 2]);
    expect(countBatches(10, 4)).toBe(3);
    expect(countBatches(10, 4, { dropLast: true })).toBe(2);
    expect(countBatches(10, 4, { limit: 1 })).toBe(1);
  });

  test('no tensors leak when the caller disposes x and y, also when stopping early', () => {
    const d = loadSynthetic({ trainSize: 100, valSize: 10, testSize: 10, rng: new Rng(0) });
    const before = tf.memory().numTensors;
    for (const b of batches(d.train, d.input, 32, { rng: new Rng(1), augment: true })) tf.dispose([b.x, b.y]);
    for (const b of batches(d.train, d.input, 32)) {
      tf.dispose([b.x, b.y]);
      break;
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  test('augment keeps the shape and labels; without augment the set is unchanged', () => {
    const d = loadSynthetic({ trainSize: 64, valSize: 8, testSize: 8, rng: new Rng(0) });
    const copy = d.train.images.slice();
    const labels: number[] = [];
    for (const b of batches(d.train, d.input, 16, { rng: new Rng(2), augment: true })) {
      expect(b.x.shape).toEqual([16, 8, 8, 1]);
      labels.push(...b.labels);
      tf.dispose([b.x, b.y]);
    }
    expect(labels.sort()).toEqual(Array.from(d.train.labels).sort());
    expect(d.train.images).toEqual(copy);
  });

  test('augment only shifts (zero fill) and flips: every output image is one of the 81 x 2 transforms of its input', () => {
    const H = 6;
    const W = 5;
    const inp = { height: H, width: W, channels: 2, numClasses: 5 };
    const set = indexedSet(40, H, W, 2, 5);
    const transforms = (i: number): string[] => {
      const out: string[] = [];
      const dst = new Float32Array(H * W * 2);
      for (let dy = -4; dy <= 4; dy++)
        for (let dx = -4; dx <= 4; dx++)
          for (const flip of [false, true]) {
            cropFlip(set.images, i * H * W * 2, dst, 0, inp, dy, dx, flip);
            out.push(Array.from(dst).join(','));
          }
      return out;
    };
    let changed = 0;
    let flipped = 0;
    for (const b of batches(set, inp, 8, { rng: new Rng(3), augment: true })) {
      const x = b.x.dataSync();
      for (let k = 0; k < b.size; k++) {
        const img = Array.from(x.subarray(k * H * W * 2, (k + 1) * H * W * 2));
        // find which item it came from through its label and a non-zero pixel
        const nonZero = img.find((v) => v !== 0);
        const i = nonZero === undefined ? -1 : item(nonZero);
        if (i < 0) continue; // shifted entirely out (cannot happen with pad 4 > size here, but be safe)
        expect(b.labels[k]).toBe(set.labels[i]);
        const index = transforms(i).indexOf(img.join(','));
        expect(index).toBeGreaterThanOrEqual(0);
        if (index % 2 === 1) flipped++;
        const orig = Array.from(set.images.subarray(i * H * W * 2, (i + 1) * H * W * 2));
        if (img.join(',') !== orig.join(',')) changed++;
      }
      tf.dispose([b.x, b.y]);
    }
    expect(changed).toBeGreaterThan(30);
    expect(flipped).toBeGreaterThan(8);
    expect(flipped).toBeLessThan(32);
  });

  test('cropFlip on a hand-made image', () => {
    // 3x3, one channel:
    // 1 2 3
    // 4 5 6
    // 7 8 9
    const img = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const out = new Float32Array(9);
    const shape = { height: 3, width: 3, channels: 1 };
    cropFlip(img, 0, out, 0, shape, 0, 0, false);
    expect(Array.from(out)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    cropFlip(img, 0, out, 0, shape, 0, 0, true);
    expect(Array.from(out)).toEqual([3, 2, 1, 6, 5, 4, 9, 8, 7]);
    // crop one row lower and one column right: content moves up-left, zeros come in
    cropFlip(img, 0, out, 0, shape, 1, 1, false);
    expect(Array.from(out)).toEqual([5, 6, 0, 8, 9, 0, 0, 0, 0]);
    cropFlip(img, 0, out, 0, shape, -1, 0, false);
    expect(Array.from(out)).toEqual([0, 0, 0, 1, 2, 3, 4, 5, 6]);
    cropFlip(img, 0, out, 0, shape, 0, -1, true);
    expect(Array.from(out)).toEqual([2, 1, 0, 5, 4, 0, 8, 7, 0]); // crop first, then mirror
    cropFlip(img, 0, out, 0, shape, 4, 0, false);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  test('oneHot and bad input', () => {
    expect(Array.from(oneHot([2, 0], 3))).toEqual([0, 0, 1, 1, 0, 0]);
    expect(() => oneHot([3], 3)).toThrow(DataError);
    const set = indexedSet(2, 4, 3, 2, 5);
    expect(() => batches(set, input, 0).next()).toThrow(RangeError);
    expect(() => batches(set, input, 1, { augment: true }).next()).toThrow('augment needs an rng');
    expect(() => batches({ ...set, count: 3 }, input, 1).next()).toThrow(DataError);
  });
});
