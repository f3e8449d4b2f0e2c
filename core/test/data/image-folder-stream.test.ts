import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { batches } from '../../src/data/batches';
import { type ImageSet, type ImageStream, takeImages } from '../../src/data/dataset';
import { closeImageDecoder, listImageFolder, loadImageFolder, type ImageFolderOptions } from '../../src/data/image-folder';
import { loadData } from '../../src/data/load';
import type { InputSpec } from '../../src/space/search-space';
import { DataError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';

/** Noisy images (so that crops and flips change the pixels), of varied sizes, PNG and JPEG. */
async function writeNoise(file: string, width: number, height: number, seed: number, format: 'png' | 'jpeg'): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const rng = new Rng(seed);
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rng.int(256);
  const img = sharp(pixels, { raw: { width, height, channels: 3 } });
  await (format === 'png' ? img.png() : img.jpeg({ quality: 90 })).toFile(file);
}

interface Pass {
  x: Float32Array[];
  labels: number[][];
  shapes: number[][];
}

/** Every batch of a pass, read back and disposed. */
function collect(it: Iterable<{ x: { shape: number[]; dataSync(): unknown; dispose(): void }; y: { shape: number[]; dispose(): void }; labels: Int32Array }>): Pass {
  const out: Pass = { x: [], labels: [], shapes: [] };
  for (const b of it) {
    out.x.push(Float32Array.from(b.x.dataSync() as Float32Array));
    out.labels.push(Array.from(b.labels));
    out.shapes.push([...b.x.shape, ...b.y.shape]);
    b.x.dispose();
    b.y.dispose();
  }
  return out;
}

function sameBits(a: Float32Array[], b: Float32Array[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(b[i].buffer, b[i].byteOffset, b[i].byteLength)));
}

/** Records the order of a stream's requests and how many are in flight, passing them through. */
function spyOn(set: ImageSet): { set: ImageSet; log: string[] } {
  const inner = set.stream as ImageStream;
  const log: string[] = [];
  let n = 0;
  const stream: ImageStream = {
    prefetch: inner.prefetch,
    seed: inner.seed,
    request(positions, crops) {
      const id = n++;
      log.push(`request ${id}`);
      const job = inner.request(positions, crops);
      return {
        take: () => {
          log.push(`take ${id}`);
          return job.take();
        },
        cancel: () => {
          log.push(`cancel ${id}`);
          job.cancel();
        },
      };
    },
  };
  return { set: { ...set, stream }, log };
}

const S = 8;
const CLASSES = ['cow', 'ant', 'bee']; // written out of order: labels follow the sorted names

describe('image-folder stream mode', () => {
  let root: string;
  let base: ImageFolderOptions;
  let input: InputSpec;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-imgstream-'));
    const jobs: Promise<void>[] = [];
    let seed = 1;
    for (const cls of CLASSES) {
      for (let i = 0; i < 6; i++) {
        jobs.push(writeNoise(path.join(root, 'train', cls, `${i}.${i % 2 ? 'jpg' : 'png'}`), 14 + 3 * i, 12 + 2 * i, seed++, i % 2 ? 'jpeg' : 'png'));
      }
      for (let i = 0; i < 3; i++) jobs.push(writeNoise(path.join(root, 'val', cls, `v${i}.jpeg`), 20 + i, 17 + 4 * i, seed++, 'jpeg'));
    }
    await Promise.all(jobs);
    base = { dir: root, imageSize: S, trainSize: 0, valSize: 4, testSize: 0, rng: new Rng(5), mode: 'stream' };
    input = { height: S, width: S, channels: 3, numClasses: 3 };
  });

  afterAll(async () => {
    fs.rmSync(root, { recursive: true, force: true });
    await closeImageDecoder();
  });

  const load = (extra: Partial<ImageFolderOptions> = {}): ReturnType<typeof loadImageFolder> =>
    loadImageFolder({ ...base, rng: new Rng(5), ...extra });

  it('indexes the files only: sorted classes, labels of the seeded split, no decoded images', () => {
    const d = load();
    expect(d.name).toMatch(/ \(streamed\)$/);
    expect(d.input).toEqual(input);
    expect([d.train.count, d.val.count, d.test.count]).toEqual([14, 4, 9]);
    for (const set of [d.train, d.val, d.test]) {
      expect(set.images).toHaveLength(0);
      expect(set.stream).toBeDefined();
    }
    const listing = listImageFolder(root);
    expect(listing.classes).toEqual(['ant', 'bee', 'cow']);
    // the official validation set (our test split) keeps the listing's order: class by class
    expect(Array.from(d.test.labels)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    // train + val are a permutation of train/, and the same split as memory mode
    const memory = load({ mode: 'memory' });
    expect(Array.from(d.train.labels)).toEqual(Array.from(memory.train.labels));
    expect(Array.from(d.val.labels)).toEqual(Array.from(memory.val.labels));
    const counts = [0, 0, 0];
    for (const l of [...d.train.labels, ...d.val.labels]) counts[l]++;
    expect(counts).toEqual([6, 6, 6]);
  });

  it('yields batches of the right shapes, labels following the pass order', () => {
    const d = load();
    const rng = Rng.derive(3, 'order', 0);
    const pass = collect(batches(d.train, input, 4, { rng, dropLast: true }));
    expect(pass.shapes).toEqual(Array.from({ length: 3 }, () => [4, S, S, 3, 4, 3]));
    // the order is the in-memory path's Fisher-Yates shuffle of the same generator
    const expected = Rng.derive(3, 'order', 0);
    const perm = Array.from({ length: 14 }, (_, i) => i);
    for (let i = 13; i > 0; i--) {
      const j = expected.int(i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    expect(pass.labels.flat()).toEqual(perm.slice(0, 12).map((p) => d.train.labels[p]));
    // an evaluation pass keeps a last, smaller batch
    const evalPass = collect(batches(d.test, input, 4));
    expect(evalPass.shapes.map((s) => s[0])).toEqual([4, 4, 1]);
    expect(evalPass.labels.flat()).toEqual(Array.from(d.test.labels));
    for (const x of [...pass.x, ...evalPass.x]) expect(x.every((v) => Number.isFinite(v) && Math.abs(v) < 3)).toBe(true);
  });

  it('is a pure function of the seed: same batches and crops; a new pass draws new crops', () => {
    const a = load();
    const b = load();
    const passA = collect(batches(a.train, input, 5, { rng: Rng.derive(9, 'order', 0), dropLast: true }));
    const passB = collect(batches(b.train, input, 5, { rng: Rng.derive(9, 'order', 0), dropLast: true }));
    expect(sameBits(passA.x, passB.x)).toBe(true);
    expect(passA.labels).toEqual(passB.labels);
    // the next epoch: another order, and fresh random crops of the same images
    const next = collect(batches(a.train, input, 14, { rng: Rng.derive(9, 'order', 1) }));
    const again = collect(batches(a.train, input, 14, { rng: Rng.derive(9, 'order', 1) }));
    expect(sameBits(next.x, again.x)).toBe(true);
    const first = collect(batches(a.train, input, 14, { rng: Rng.derive(9, 'order', 0) }));
    expect(sameBits(first.x, next.x)).toBe(false);
    // an in-order pass over the training split crops from the split's own seed: the same every time
    expect(sameBits(collect(batches(a.train, input, 7)).x, collect(batches(b.train, input, 7)).x)).toBe(true);
    // evaluation crops have no randomness: another data seed reads the (whole) test split identically
    const other = load({ rng: new Rng(6) });
    expect(sameBits(collect(batches(other.test, input, 9)).x, collect(batches(a.test, input, 9)).x)).toBe(true);
  });

  it('decodes evaluation batches exactly as memory mode does (same crop, resize and normalisation)', () => {
    const streamed = load();
    const memory = load({ mode: 'memory' });
    for (const split of ['val', 'test'] as const) {
      for (const batchSize of [1, 4]) {
        const s = collect(batches(streamed[split], input, batchSize));
        const m = collect(batches(memory[split], input, batchSize));
        expect(s.labels).toEqual(m.labels);
        expect(sameBits(s.x, m.x)).toBe(true);
      }
    }
    // a view of the first images, as the accuracy metric takes one
    const few = collect(batches(takeImages(streamed.test, 5, input), input, 2));
    const fewMemory = collect(batches(takeImages(memory.test, 5, input), input, 2));
    expect(few.labels.flat()).toHaveLength(5);
    expect(sameBits(few.x, fewMemory.x)).toBe(true);
  });

  it('prefetches a bounded number of batches ahead, in order, and the depth never changes the batches', () => {
    const passes = [0, 1, 3].map((prefetch) => {
      const d = load({ prefetch });
      const { set, log } = spyOn(d.train);
      const pass = collect(batches(set, input, 3, { rng: Rng.derive(4, 'order', 2), augment: true }));
      // requests go out in batch order; batch b is taken after b..b+prefetch were requested
      const requests = log.filter((l) => l.startsWith('request')).map((l) => Number(l.split(' ')[1]));
      expect(requests).toEqual([0, 1, 2, 3, 4]);
      const takes = log.filter((l) => l.startsWith('take')).map((l) => Number(l.split(' ')[1]));
      expect(takes).toEqual([0, 1, 2, 3, 4]);
      for (const b of takes) {
        const requested = log.slice(0, log.indexOf(`take ${b}`)).filter((l) => l.startsWith('request')).length;
        expect(requested).toBe(Math.min(5, b + 1 + prefetch));
      }
      return pass;
    });
    for (const p of passes.slice(1)) {
      expect(p.labels).toEqual(passes[0].labels);
      expect(sameBits(p.x, passes[0].x)).toBe(true);
    }
  });

  it('resumes a pass at startBatch with the same batches (augmentation draws replayed)', () => {
    const d = load({ prefetch: 2 });
    const opts = (startBatch?: number) => ({ rng: Rng.derive(8, 'order', 0), augment: true, dropLast: true, startBatch });
    const full = collect(batches(d.train, input, 3, opts()));
    const tail = collect(batches(d.train, input, 3, opts(2)));
    expect(tail.labels).toEqual(full.labels.slice(2));
    expect(sameBits(tail.x, full.x.slice(2))).toBe(true);
  });

  it('cancels what it prefetched when a pass is left early, and the next pass is unaffected', () => {
    const d = load({ prefetch: 3 });
    const { set, log } = spyOn(d.test);
    for (const b of batches(set, input, 2)) {
      b.x.dispose();
      b.y.dispose();
      break;
    }
    expect(log).toEqual(['request 0', 'request 1', 'request 2', 'request 3', 'take 0', 'cancel 1', 'cancel 2', 'cancel 3']);
    const memory = load({ mode: 'memory' });
    expect(sameBits(collect(batches(d.test, input, 2)).x, collect(batches(memory.test, input, 2)).x)).toBe(true);
  });

  it('is chosen through loadData (data.imageFolder), and auto streams above maxImages only', () => {
    const cfg = { dataset: 'image-folder' as const, dir: root, imageSize: S, trainSize: 0, valSize: 4, testSize: 0 };
    expect(loadData({ ...cfg, imageFolder: { mode: 'stream', prefetch: 1 } }, 2).train.stream?.prefetch).toBe(1);
    expect(loadData({ ...cfg, imageFolder: { mode: 'auto', prefetch: 2 } }, 2).train.stream).toBeUndefined();
    expect(loadData({ ...cfg, imageFolder: { mode: 'auto', prefetch: 2, maxImages: 26 } }, 2).train.stream).toBeDefined();
    expect(loadData({ ...cfg, imageFolder: { mode: 'auto', prefetch: 2, maxImages: 27 } }, 2).train.stream).toBeUndefined();
    expect(() => loadImageFolder({ ...base, prefetch: -1 })).toThrow(/data\.imageFolder\.prefetch must be an integer >= 0, got -1/);
    expect(() => loadImageFolder({ ...base, mode: 'lazy' as never })).toThrow(/data\.imageFolder\.mode must be 'auto', 'memory' or 'stream', got "lazy"/);
  });

  it('fails a pass with a DataError naming an unreadable image (the index does not open files)', () => {
    const bad = path.join(root, 'val', 'bee', 'v1-broken.jpeg');
    fs.writeFileSync(bad, 'this is not a jpeg');
    try {
      const d = load(); // indexing succeeds: nothing is decoded yet
      expect(d.test.count).toBe(10);
      let error: unknown;
      try {
        collect(batches(d.test, input, 3));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DataError);
      expect((error as Error).message).toContain(`cannot decode ${bad}: `);
      expect((error as Error).message).toMatch(/replace or remove the file/);
      // the decoder goes on serving other passes
      expect(collect(batches(d.val, input, 4)).labels.flat()).toHaveLength(4);
    } finally {
      fs.rmSync(bad);
    }
  });
});
