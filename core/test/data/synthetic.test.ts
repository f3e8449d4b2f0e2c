import { loadSynthetic } from '../../src/data/synthetic';
import { DataError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';

describe('loadSynthetic', () => {
  test('default sizes and shape', () => {
    const d = loadSynthetic({ trainSize: 0, valSize: 0, testSize: 0, rng: new Rng(0) });
    expect(d.name).toBe('synthetic');
    expect(d.input).toEqual({ height: 8, width: 8, channels: 1, numClasses: 4 });
    expect([d.train.count, d.val.count, d.test.count]).toEqual([512, 128, 128]);
    expect(d.train.images.length).toBe(512 * 64);
    expect(d.train.images).toBeInstanceOf(Float32Array);
    expect(d.train.labels).toBeInstanceOf(Int32Array);
    // balanced classes
    const counts = [0, 0, 0, 0];
    for (const l of d.train.labels) counts[l]++;
    expect(counts).toEqual([128, 128, 128, 128]);
  });

  test('custom sizes and shape', () => {
    const d = loadSynthetic({ trainSize: 30, valSize: 20, testSize: 10, rng: new Rng(0), height: 6, width: 5, channels: 3, numClasses: 3 });
    expect(d.input).toEqual({ height: 6, width: 5, channels: 3, numClasses: 3 });
    expect(d.train.images.length).toBe(30 * 6 * 5 * 3);
    expect(d.val.count).toBe(20);
    expect(d.test.labels.length).toBe(10);
    expect(Math.max(...d.train.labels)).toBe(2);
  });

  test('deterministic for a seed, different across seeds', () => {
    const a = loadSynthetic({ trainSize: 64, valSize: 32, testSize: 32, rng: new Rng(4) });
    const b = loadSynthetic({ trainSize: 64, valSize: 32, testSize: 32, rng: new Rng(4) });
    const c = loadSynthetic({ trainSize: 64, valSize: 32, testSize: 32, rng: new Rng(5) });
    expect(a.train.images).toEqual(b.train.images);
    expect(a.test.labels).toEqual(b.test.labels);
    expect(a.train.images).not.toEqual(c.train.images);
  });

  test('learnable: nearest class mean (from train) classifies the test split well', () => {
    const d = loadSynthetic({ trainSize: 0, valSize: 0, testSize: 0, rng: new Rng(1) });
    const size = 64;
    const means = Array.from({ length: 4 }, () => new Float64Array(size));
    const n = [0, 0, 0, 0];
    for (let i = 0; i < d.train.count; i++) {
      const l = d.train.labels[i];
      n[l]++;
      for (let p = 0; p < size; p++) means[l][p] += d.train.images[i * size + p];
    }
    means.forEach((m, l) => m.forEach((_, p) => (m[p] /= n[l])));
    let correct = 0;
    for (let i = 0; i < d.test.count; i++) {
      let best = -1;
      let bestD = Infinity;
      for (let l = 0; l < 4; l++) {
        let dist = 0;
        for (let p = 0; p < size; p++) dist += (d.test.images[i * size + p] - means[l][p]) ** 2;
        if (dist < bestD) {
          bestD = dist;
          best = l;
        }
      }
      if (best === d.test.labels[i]) correct++;
    }
    expect(correct / d.test.count).toBeGreaterThan(0.9);
    // and the images are not trivially identical within a class
    expect(d.train.images.subarray(0, size)).not.toEqual(d.train.images.subarray(size, 2 * size));
  });

  test('bad sizes are a DataError', () => {
    expect(() => loadSynthetic({ trainSize: -1, valSize: 0, testSize: 0, rng: new Rng(0) })).toThrow(DataError);
    expect(() => loadSynthetic({ trainSize: 0, valSize: 0, testSize: 0, rng: new Rng(0), numClasses: 1 })).toThrow(
      'numClasses must be >= 2',
    );
  });
});
