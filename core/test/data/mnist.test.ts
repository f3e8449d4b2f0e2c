import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MNIST_FILES, MNIST_INPUT, defaultMnistDir, loadMnist } from '../../src/data/mnist';
import { loadData } from '../../src/data/load';
import { DataError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';

const PIXELS = 28 * 28;

/** A fingerprint of each image, to find the same image in two splits (hashed natively: fast). */
function keys(images: Float32Array, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const view = new Uint8Array(images.buffer, images.byteOffset + i * PIXELS * 4, PIXELS * 4);
    out.push(crypto.createHash('sha1').update(view).digest('base64'));
  }
  return out;
}

/** Byte equality of two typed arrays (jest's toEqual is slow on millions of elements). */
function same(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('loadMnist', () => {
  test('split sizes, input spec, label and image types', () => {
    const d = loadMnist({ trainSize: 3000, valSize: 1000, testSize: 500, rng: new Rng(1) });
    expect(d.name).toBe('mnist');
    expect(d.input).toEqual({ height: 28, width: 28, channels: 1, numClasses: 10 });
    expect(MNIST_INPUT).toEqual(d.input);
    for (const [set, n] of [
      [d.train, 3000],
      [d.val, 1000],
      [d.test, 500],
    ] as const) {
      expect(set.count).toBe(n);
      expect(set.images).toBeInstanceOf(Float32Array);
      expect(set.images.length).toBe(n * PIXELS);
      expect(set.labels).toBeInstanceOf(Int32Array);
      expect(set.labels.length).toBe(n);
      expect(Math.min(...set.labels)).toBe(0);
      expect(Math.max(...set.labels)).toBe(9);
    }
  });

  test('sizes of 0 mean all: train is the rest after validation, test is all 10,000', () => {
    const d = loadMnist({ trainSize: 0, valSize: 5000, testSize: 0, rng: new Rng(0) });
    expect(d.train.count).toBe(55000);
    expect(d.val.count).toBe(5000);
    expect(d.test.count).toBe(10000);
    // the validation and training images are disjoint; almost all images of MNIST are unique
    const val = new Set(keys(d.val.images, d.val.count));
    const train = keys(d.train.images, d.train.count);
    const shared = train.filter((k) => val.has(k)).length;
    expect(shared).toBeLessThan(5); // a handful of exact duplicates exist in MNIST
  });

  test('validation and training are disjoint and deterministic for a seed', () => {
    const a = loadMnist({ trainSize: 2000, valSize: 1000, testSize: 10, rng: new Rng(7) });
    const b = loadMnist({ trainSize: 2000, valSize: 1000, testSize: 10, rng: new Rng(7) });
    const c = loadMnist({ trainSize: 2000, valSize: 1000, testSize: 10, rng: new Rng(8) });
    expect(same(a.train.images, b.train.images)).toBe(true);
    expect(same(a.val.images, b.val.images)).toBe(true);
    expect(a.val.labels).toEqual(b.val.labels);
    expect(same(a.val.images, c.val.images)).toBe(false);
    const val = new Set(keys(a.val.images, a.val.count));
    expect(keys(a.train.images, a.train.count).filter((k) => val.has(k)).length).toBeLessThan(2);
    // the test split does not depend on the seed
    expect(same(a.test.images, c.test.images)).toBe(true);
  });

  test('the first test labels are 7, 2, 1, 0, 4', () => {
    const d = loadMnist({ trainSize: 10, valSize: 10, testSize: 5, rng: new Rng(0) });
    expect(Array.from(d.test.labels)).toEqual([7, 2, 1, 0, 4]);
  });

  test('normalised to about mean 0, std 1 on the training split', () => {
    const d = loadMnist({ trainSize: 3000, valSize: 100, testSize: 10, rng: new Rng(3) });
    let sum = 0;
    let sq = 0;
    for (const v of d.train.images) {
      sum += v;
      sq += v * v;
    }
    const n = d.train.images.length;
    const mean = sum / n;
    const std = Math.sqrt(sq / n - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(std - 1)).toBeLessThan(0.05);
    // background pixels are exactly (0 - mean) / std
    expect(Math.min(...d.train.images.subarray(0, PIXELS))).toBeCloseTo(-0.1307 / 0.3081, 5);
    let max = -Infinity;
    for (const v of d.train.images) max = Math.max(max, v);
    expect(max).toBeCloseTo((1 - 0.1307) / 0.3081, 5);
  });

  test('sizes beyond the data are a DataError', () => {
    expect(() => loadMnist({ trainSize: 59000, valSize: 5000, testSize: 0, rng: new Rng(0) })).toThrow(DataError);
    expect(() => loadMnist({ trainSize: 0, valSize: 60000, testSize: 0, rng: new Rng(0) })).toThrow(
      'no training images would be left',
    );
    expect(() => loadMnist({ trainSize: 0, valSize: 0, testSize: 10001, rng: new Rng(0) })).toThrow(
      'mnist: testSize 10001 exceeds the 10000 test images',
    );
  });

  test('loadData dispatches on the dataset, seeded by the run seed', () => {
    const cfg = { dataset: 'mnist' as const, trainSize: 100, valSize: 50, testSize: 20, imageSize: 28 };
    const a = loadData(cfg, 5);
    const b = loadData(cfg, 5);
    expect(a.name).toBe('mnist');
    expect(same(a.train.images, b.train.images)).toBe(true);
    expect(loadData(cfg, 6).train.labels).not.toEqual(a.train.labels);
    const s = loadData({ dataset: 'synthetic', trainSize: 0, valSize: 0, testSize: 0, imageSize: 28 }, 5);
    expect(s.name).toBe('synthetic');
    expect(() => loadData({ ...cfg, dataset: 'cifar' as never }, 0)).toThrow("unknown dataset 'cifar'");
  });
});

describe('loadMnist: broken data files', () => {
  let dir: string;
  const src = defaultMnistDir();
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-mnist-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const opts = () => ({ trainSize: 10, valSize: 10, testSize: 10, rng: new Rng(0), dir });
  const linkAll = (except: string[] = []): void => {
    for (const f of Object.values(MNIST_FILES)) {
      if (!except.includes(f)) fs.symlinkSync(path.join(src, f), path.join(dir, f));
    }
  };
  const errorOf = (): string => {
    try {
      loadMnist(opts());
    } catch (e) {
      expect(e).toBeInstanceOf(DataError);
      return (e as Error).message;
    }
    throw new Error('expected a DataError');
  };

  test('a copy of the files loads', () => {
    linkAll();
    expect(loadMnist(opts()).test.labels[0]).toBe(7);
  });

  test('a missing file is named', () => {
    linkAll([MNIST_FILES.trainImages]);
    expect(errorOf()).toBe(
      `mnist: cannot read ${path.join(dir, MNIST_FILES.trainImages)}: no such file (expected the MNIST training images file)`,
    );
  });

  test('a truncated file is named, with the size expected', () => {
    linkAll([MNIST_FILES.testLabels]);
    const full = fs.readFileSync(path.join(src, MNIST_FILES.testLabels));
    fs.writeFileSync(path.join(dir, MNIST_FILES.testLabels), full.subarray(0, 5000));
    expect(errorOf()).toBe(
      `mnist: ${path.join(dir, MNIST_FILES.testLabels)} is truncated: 5000 bytes, expected 10008 (MNIST test labels)`,
    );
  });

  test('a truncated header', () => {
    linkAll([MNIST_FILES.trainLabels]);
    fs.writeFileSync(path.join(dir, MNIST_FILES.trainLabels), Buffer.from([0, 0, 8]));
    expect(errorOf()).toMatch(/train-labels-idx1-ubyte is truncated: 3 bytes, expected 60008/);
  });

  test('a wrong magic number (labels where images belong)', () => {
    linkAll([MNIST_FILES.testImages]);
    fs.symlinkSync(path.join(src, MNIST_FILES.testLabels), path.join(dir, MNIST_FILES.testImages));
    expect(errorOf()).toBe(
      `mnist: ${path.join(dir, MNIST_FILES.testImages)} is not an MNIST test images file: magic number 2049, expected 2051`,
    );
  });
});
