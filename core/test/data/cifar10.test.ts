import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  CIFAR10_FILES,
  CIFAR10_INPUT,
  CIFAR10_RECORD_BYTES,
  cifar10CacheDir,
  clearCifar10Cache,
  loadCifar10,
  resolveCacheDir,
} from '../../src/data/cifar10';
import { DataError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';

/** Records per file of the tiny fixture: 5 x 4 = 20 training images, 4 test images. */
const N = 4;
const PLANE = 1024;
const IMAGE = 3 * PLANE;

/** Record `r` of file `f` (0-4 training, 5 test), of id f * N + r: its bytes follow simple formulas of the id. */
function recordBytes(f: number, r: number): Buffer {
  const id = f * N + r;
  const rec = Buffer.alloc(CIFAR10_RECORD_BYTES);
  rec[0] = (id * 3) % 10; // label
  for (let p = 0; p < PLANE; p++) {
    rec[1 + p] = (id + p) & 255; // R plane
    rec[1 + PLANE + p] = (id * 5 + 2 * p) & 255; // G plane
    rec[1 + 2 * PLANE + p] = 255 - ((id + 3 * p) & 255); // B plane
  }
  rec[1] = id; // R of pixel (0, 0) identifies the record
  return rec;
}

function writeFixture(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const files = [...CIFAR10_FILES.train, CIFAR10_FILES.test];
  files.forEach((name, f) => {
    const recs: Buffer[] = [];
    for (let r = 0; r < N; r++) recs.push(recordBytes(f, r));
    fs.writeFileSync(path.join(dir, name), Buffer.concat(recs));
  });
}

const MEAN = [0.4914, 0.4822, 0.4465];
const STD = [0.247, 0.2435, 0.2616];
const norm = (v: number, c: number): number => (v / 255 - MEAN[c]) / STD[c];

/** The record id of a loaded image, from its normalised R value at pixel (0, 0). */
function idOf(images: Float32Array, k: number): number {
  return Math.round((images[k * IMAGE] * STD[0] + MEAN[0]) * 255) + 0; // + 0 turns -0 into 0
}

describe('loadCifar10 on a tiny cifar-10-batches-bin', () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-cifar10-'));
    dir = path.join(root, 'cifar-10-batches-bin');
    writeFixture(dir);
    clearCifar10Cache();
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
    clearCifar10Cache();
  });

  const load = (o: Partial<{ trainSize: number; valSize: number; testSize: number; seed: number }> = {}) =>
    loadCifar10({
      trainSize: o.trainSize ?? 0,
      valSize: o.valSize ?? 5,
      testSize: o.testSize ?? 0,
      rng: new Rng(o.seed ?? 1),
      dir,
      recordsPerFile: N,
    });

  test('input spec, split sizes, labels; planes become NHWC pixels, normalised per channel', () => {
    const d = load();
    expect(d.name).toBe('cifar10');
    expect(d.input).toEqual({ height: 32, width: 32, channels: 3, numClasses: 10 });
    expect(CIFAR10_INPUT).toEqual(d.input);
    expect([d.train.count, d.val.count, d.test.count]).toEqual([15, 5, 4]);
    expect(d.train.images.length).toBe(15 * IMAGE);
    expect(d.test.labels).toBeInstanceOf(Int32Array);
    // the test split is the test file in order: ids 20..23, labels (3 id) mod 10
    expect(Array.from(d.test.labels)).toEqual([0, 3, 6, 9]);
    for (const set of [d.train, d.val, d.test]) {
      for (let k = 0; k < set.count; k++) {
        const id = idOf(set.images, k);
        const f = Math.floor(id / N);
        const r = id % N;
        const rec = recordBytes(f, r);
        expect(set.labels[k]).toBe(rec[0]);
        // every pixel of this image: out[(y*32 + x)*3 + c] = plane c at y*32 + x
        const img = set.images.subarray(k * IMAGE, (k + 1) * IMAGE);
        for (let p = 0; p < PLANE; p++) {
          for (let c = 0; c < 3; c++) {
            const want = norm(rec[1 + c * PLANE + p], c);
            if (Math.abs(img[p * 3 + c] - want) > 1e-6) throw new Error(`image ${k} pixel ${p} channel ${c}: ${img[p * 3 + c]} != ${want}`);
          }
        }
      }
    }
  });

  test('hand-computed normalisation of single pixels', () => {
    const d = load();
    // test image 0 is record id 20 (file 5, record 0):
    //   R(0,0) = 20           -> (20/255 - 0.4914)/0.2470 = (0.0784314 - 0.4914)/0.2470 = -1.67194
    //   G(0,0) = 20*5 = 100   -> (100/255 - 0.4822)/0.2435 = (0.3921569 - 0.4822)/0.2435 = -0.36979
    //   B(0,0) = 255 - 20     -> (235/255 - 0.4465)/0.2616 = (0.9215686 - 0.4465)/0.2616 = 1.81601
    //   R(0,1) = 21           -> (21/255 - 0.4914)/0.2470 = (0.0823529 - 0.4914)/0.2470 = -1.65606
    //   B(0,1) = 255 - 23     -> (232/255 - 0.4465)/0.2616 = (0.9098039 - 0.4465)/0.2616 = 1.77104
    const t = d.test.images;
    expect(t[0]).toBeCloseTo(-1.67194, 4);
    expect(t[1]).toBeCloseTo(-0.36979, 4);
    expect(t[2]).toBeCloseTo(1.81601, 4);
    expect(t[3]).toBeCloseTo(-1.65606, 4);
    expect(t[5]).toBeCloseTo(1.77104, 4);
    // the extremes of the byte range in the R channel: 0 -> -1.98947, 255 -> 2.05911
    expect(norm(0, 0)).toBeCloseTo(-1.98947, 4);
    expect(norm(255, 0)).toBeCloseTo(2.05911, 4);
  });

  test('validation and training are disjoint, cover the training files, deterministic for a seed', () => {
    const a = load({ seed: 7 });
    const ids = (set: { images: Float32Array; count: number }): number[] =>
      Array.from({ length: set.count }, (_, k) => idOf(set.images, k));
    const val = ids(a.val);
    const train = ids(a.train);
    expect(val.filter((v) => train.includes(v))).toEqual([]);
    expect([...val, ...train].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(ids(load({ seed: 7 }).val)).toEqual(val);
    // a different seed, a different split (20 choose 5 = 15504 ways)
    expect(ids(load({ seed: 8 }).val)).not.toEqual(val);
    // trainSize and testSize take a prefix
    const b = load({ seed: 7, trainSize: 3, testSize: 2 });
    expect(ids(b.train)).toEqual(train.slice(0, 3));
    expect(ids(b.test)).toEqual([20, 21]);
  });

  test('sizes beyond the data are a DataError', () => {
    expect(() => load({ trainSize: 16, valSize: 5 })).toThrow('cifar10: valSize 5 + trainSize 16 exceed the 20 training images');
    expect(() => load({ valSize: 20 })).toThrow('no training images would be left');
    expect(() => load({ testSize: 5 })).toThrow('cifar10: testSize 5 exceeds the 4 test images');
    expect(() => load({ trainSize: -1 })).toThrow(DataError);
  });

  const errorOf = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(DataError);
      return (e as Error).message;
    }
    throw new Error('expected a DataError');
  };

  test('a truncated file is named, with the size expected', () => {
    const file = path.join(dir, 'data_batch_3.bin');
    fs.truncateSync(file, 2 * CIFAR10_RECORD_BYTES + 100);
    expect(errorOf(() => load())).toBe(
      `cifar10: ${file} is truncated: 6246 bytes, expected a CIFAR-10 binary batch of 12292 bytes (4 records of 3073 bytes)`,
    );
  });

  test('a file too long, a bad label, a missing file', () => {
    const test = path.join(dir, 'test_batch.bin');
    fs.appendFileSync(test, Buffer.from([1, 2]));
    expect(errorOf(() => load())).toMatch(/test_batch\.bin is too long: 12294 bytes, expected .* 12292 bytes/);
    writeFixture(dir);
    const b1 = path.join(dir, 'data_batch_1.bin');
    const buf = fs.readFileSync(b1);
    buf[CIFAR10_RECORD_BYTES] = 10;
    fs.writeFileSync(b1, buf);
    expect(errorOf(() => load())).toBe(`cifar10: ${b1}: label 10 of record 1 is not a class 0-9 (expected a CIFAR-10 binary batch of 12292 bytes (4 records of 3073 bytes))`);
    writeFixture(dir);
    fs.rmSync(path.join(dir, 'data_batch_5.bin'));
    expect(errorOf(() => load())).toMatch(
      /^cifar10: cannot read .*data_batch_5\.bin: no such file \(expected a CIFAR-10 binary batch of 12292 bytes .*; or run `absnas data fetch cifar10`/,
    );
  });

  test('the real size is 10,000 records per file', () => {
    // the fixture's files are 4 records: read as CIFAR-10 they are truncated
    expect(errorOf(() => loadCifar10({ trainSize: 1, valSize: 1, testSize: 1, rng: new Rng(0), dir }))).toBe(
      `cifar10: ${path.join(dir, 'data_batch_1.bin')} is truncated: 12292 bytes, expected a CIFAR-10 binary batch of 30730000 bytes (10000 records of 3073 bytes)`,
    );
  });

  test('the cache: cacheDir holds cifar-10-batches-bin; missing data says to fetch it', () => {
    const viaCache = loadCifar10({ trainSize: 2, valSize: 2, testSize: 2, rng: new Rng(0), cacheDir: root, recordsPerFile: N });
    expect(Array.from(viaCache.test.labels)).toEqual([0, 3]);
    const empty = path.join(root, 'empty');
    expect(errorOf(() => loadCifar10({ trainSize: 2, valSize: 2, testSize: 2, rng: new Rng(0), cacheDir: empty }))).toBe(
      `cifar10: no CIFAR-10 data in the cache: ${path.join(empty, 'cifar-10-batches-bin', 'data_batch_1.bin')} does not exist; run \`absnas data fetch cifar10\` to download it`,
    );
  });
});

describe('resolveCacheDir', () => {
  const saved = process.env.ABSNAS_CACHE;
  afterEach(() => {
    if (saved === undefined) delete process.env.ABSNAS_CACHE;
    else process.env.ABSNAS_CACHE = saved;
  });

  test('explicit, then ABSNAS_CACHE, then ~/.cache/absnas', () => {
    delete process.env.ABSNAS_CACHE;
    expect(resolveCacheDir()).toBe(path.join(os.homedir(), '.cache', 'absnas'));
    process.env.ABSNAS_CACHE = '/tmp/absnas-env-cache';
    expect(resolveCacheDir()).toBe('/tmp/absnas-env-cache');
    expect(resolveCacheDir('/tmp/explicit')).toBe('/tmp/explicit');
    expect(cifar10CacheDir('/tmp/explicit')).toBe(path.join('/tmp/explicit', 'cifar-10-batches-bin'));
    expect(resolveCacheDir('rel')).toBe(path.resolve('rel'));
  });
});
