import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { InputSpec } from '../space/search-space';
import { DataError } from '../util/errors';
import type { Rng } from '../util/rng';
import type { DataSplits, ImageSet } from './dataset';

export const CIFAR10_INPUT: InputSpec = { height: 32, width: 32, channels: 3, numClasses: 10 };
/** The standard per-channel mean and standard deviation (R, G, B) of the CIFAR-10 training images, on [0, 1]. */
export const CIFAR10_MEAN = [0.4914, 0.4822, 0.4465] as const;
export const CIFAR10_STD = [0.247, 0.2435, 0.2616] as const;

/** The files of a `cifar-10-batches-bin` folder, as distributed by the dataset's authors. */
export const CIFAR10_FILES = {
  train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
  test: 'test_batch.bin',
} as const;

/** The folder name of the binary version, inside a cache directory. */
export const CIFAR10_DIR_NAME = 'cifar-10-batches-bin';

/** Records in each batch file of CIFAR-10. */
export const CIFAR10_RECORDS_PER_FILE = 10000;
export const CIFAR10_PIXELS = 32 * 32;
/** One record: a label byte, then the R, G and B planes of a 32x32 image, each row-major. */
export const CIFAR10_RECORD_BYTES = 1 + 3 * CIFAR10_PIXELS;

const IMAGE_SIZE = 3 * CIFAR10_PIXELS;
const FETCH_HINT = 'run `absnas data fetch cifar10` to download it';

/**
 * Where fetched datasets are kept: the given directory, else the environment
 * variable ABSNAS_CACHE, else ~/.cache/absnas.
 */
export function resolveCacheDir(cacheDir?: string): string {
  if (cacheDir) return path.resolve(cacheDir);
  const env = process.env.ABSNAS_CACHE;
  if (env) return path.resolve(env);
  return path.join(os.homedir(), '.cache', 'absnas');
}

/** The `cifar-10-batches-bin` folder of a cache directory (see resolveCacheDir). */
export function cifar10CacheDir(cacheDir?: string): string {
  return path.join(resolveCacheDir(cacheDir), CIFAR10_DIR_NAME);
}

export interface Cifar10Options {
  /** Training images used (0 = all those left after validation). */
  trainSize: number;
  /** Validation images, carved from the 50,000 training images after a seeded shuffle. */
  valSize: number;
  /** The first `testSize` of the 10,000 test images (0 = all). */
  testSize: number;
  rng: Rng;
  /** A `cifar-10-batches-bin` folder of the user's own (default: the one in the cache). */
  dir?: string;
  /** The cache directory holding `cifar-10-batches-bin` (default: ABSNAS_CACHE, else ~/.cache/absnas). */
  cacheDir?: string;
  /** Records in each batch file: 10,000 in CIFAR-10; smaller only for test fixtures. */
  recordsPerFile?: number;
}

/** The raw records of one folder: five training batches and the test batch, bytes as on disk. */
export interface Cifar10Raw {
  /** One buffer per training batch file, each `recordsPerFile` records. */
  train: Uint8Array[];
  test: Uint8Array;
  recordsPerFile: number;
}

/** Raw files, by absolute folder and records per file; bytes only (normalised floats would be 4x larger). */
const cache = new Map<string, Cifar10Raw>();

function readBatch(file: string, records: number, fromCache: boolean): Uint8Array {
  const expected = records * CIFAR10_RECORD_BYTES;
  const what = `a CIFAR-10 binary batch of ${expected} bytes (${records} records of ${CIFAR10_RECORD_BYTES} bytes)`;
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new DataError(
        fromCache
          ? `cifar10: no CIFAR-10 data in the cache: ${file} does not exist; ${FETCH_HINT}`
          : `cifar10: cannot read ${file}: no such file (expected ${what}; or ${FETCH_HINT} and leave data.dir unset)`,
      );
    }
    throw new DataError(`cifar10: cannot read ${file}: ${(e as Error).message} (expected ${what})`);
  }
  if (buf.length !== expected) {
    throw new DataError(
      `cifar10: ${file} ${buf.length < expected ? 'is truncated' : 'is too long'}: ${buf.length} bytes, expected ${what}` +
        (fromCache ? `; ${FETCH_HINT}` : ''),
    );
  }
  for (let r = 0; r < records; r++) {
    const label = buf[r * CIFAR10_RECORD_BYTES];
    if (label > 9) {
      throw new DataError(`cifar10: ${file}: label ${label} of record ${r} is not a class 0-9 (expected ${what})`);
    }
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/**
 * The raw records of a `cifar-10-batches-bin` folder, read afresh (no cache).
 * DataError naming the file if one is missing, of the wrong size, or holds a
 * label outside 0-9; `fromCache` adds the hint to fetch the data.
 */
export function readCifar10Files(dir: string, recordsPerFile = CIFAR10_RECORDS_PER_FILE, fromCache = false): Cifar10Raw {
  const abs = path.resolve(dir);
  const train = CIFAR10_FILES.train.map((f) => readBatch(path.join(abs, f), recordsPerFile, fromCache));
  const test = readBatch(path.join(abs, CIFAR10_FILES.test), recordsPerFile, fromCache);
  return { train, test, recordsPerFile };
}

/** readCifar10Files, cached per folder. */
export function readCifar10Dir(dir: string, recordsPerFile = CIFAR10_RECORDS_PER_FILE, fromCache = false): Cifar10Raw {
  const key = `${path.resolve(dir)}\0${recordsPerFile}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const raw = readCifar10Files(dir, recordsPerFile, fromCache);
  cache.set(key, raw);
  return raw;
}

/** Byte -> normalised value, one table per channel. */
const LUTS = CIFAR10_MEAN.map((mean, c) => {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) t[v] = (v / 255 - mean) / CIFAR10_STD[c];
  return t;
});

/**
 * Normalised NHWC images and labels of the records `order[start .. start + count)`,
 * record i being record i % n of batch floor(i / n).
 */
function gather(batches: readonly Uint8Array[], n: number, order: ArrayLike<number>, start: number, count: number): ImageSet {
  const images = new Float32Array(count * IMAGE_SIZE);
  const labels = new Int32Array(count);
  const [lr, lg, lb] = LUTS;
  for (let k = 0; k < count; k++) {
    const src = order[start + k];
    const batch = batches[Math.floor(src / n)];
    const rec = (src % n) * CIFAR10_RECORD_BYTES;
    labels[k] = batch[rec];
    const r = rec + 1;
    const g = r + CIFAR10_PIXELS;
    const b = g + CIFAR10_PIXELS;
    let o = k * IMAGE_SIZE;
    // planes (R, G, B; each 32x32 row-major) -> pixels (y, x) with channels last
    for (let p = 0; p < CIFAR10_PIXELS; p++) {
      images[o++] = lr[batch[r + p]];
      images[o++] = lg[batch[g + p]];
      images[o++] = lb[batch[b + p]];
    }
  }
  return { images, labels, count };
}

/**
 * CIFAR-10 from a `cifar-10-batches-bin` folder (the user's own, or the one
 * `absnas data fetch cifar10` puts in the cache): validation carved from the
 * 50,000 training images after a seeded shuffle, then the training split, and
 * the first `testSize` test images. Normalised per channel with the standard
 * mean (0.4914, 0.4822, 0.4465) and std (0.2470, 0.2435, 0.2616), NHWC [32, 32, 3].
 */
export function loadCifar10(opts: Cifar10Options): DataSplits {
  const { trainSize, valSize, testSize, rng } = opts;
  const n = opts.recordsPerFile ?? CIFAR10_RECORDS_PER_FILE;
  if (!Number.isInteger(n) || n < 1) throw new DataError(`cifar10: recordsPerFile must be an integer >= 1, got ${n}`);
  const trainTotal = CIFAR10_FILES.train.length * n;
  const testTotal = n;
  for (const [name, v] of [
    ['trainSize', trainSize],
    ['valSize', valSize],
    ['testSize', testSize],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new DataError(`cifar10: ${name} must be an integer >= 0, got ${v}`);
  }
  if (valSize + trainSize > trainTotal || valSize >= trainTotal) {
    throw new DataError(
      `cifar10: valSize ${valSize} + trainSize ${trainSize} exceed the ${trainTotal} training images` +
        (valSize >= trainTotal ? ' (no training images would be left)' : ''),
    );
  }
  if (testSize > testTotal) {
    throw new DataError(`cifar10: testSize ${testSize} exceeds the ${testTotal} test images`);
  }
  const fromCache = opts.dir === undefined;
  const dir = opts.dir ?? cifar10CacheDir(opts.cacheDir);
  const raw = readCifar10Dir(dir, n, fromCache);

  const order = new Int32Array(trainTotal);
  for (let i = 0; i < trainTotal; i++) order[i] = i;
  for (let i = trainTotal - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const trainCount = trainSize === 0 ? trainTotal - valSize : trainSize;
  const testCount = testSize === 0 ? testTotal : testSize;
  const testOrder = new Int32Array(testCount);
  for (let i = 0; i < testCount; i++) testOrder[i] = i;
  return {
    name: 'cifar10',
    input: { ...CIFAR10_INPUT },
    val: gather(raw.train, n, order, 0, valSize),
    train: gather(raw.train, n, order, valSize, trainCount),
    test: gather([raw.test], n, testOrder, 0, testCount),
  };
}

/** Forget the read files (frees about 184 MB). */
export function clearCifar10Cache(): void {
  cache.clear();
}
