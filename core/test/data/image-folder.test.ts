import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import {
  centerCropBox,
  closeImageDecoder,
  IMAGENET_MEAN,
  IMAGENET_STD,
  listImageFolder,
  loadImageFolder,
  normalizeImages,
  randomResizedCropBox,
} from '../../src/data/image-folder';
import { loadData } from '../../src/data/load';
import { DataError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';

/** One flat colour per class, so decoded pixels tell which class an image came from. */
const COLOURS: Record<string, [number, number, number]> = {
  cat: [200, 30, 30],
  dog: [30, 200, 30],
  emu: [30, 30, 200],
};

async function writeImage(file: string, colour: [number, number, number], width: number, height: number, format: 'png' | 'jpeg'): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const img = sharp({ create: { width, height, channels: 3, background: { r: colour[0], g: colour[1], b: colour[2] } } });
  await (format === 'png' ? img.png() : img.jpeg({ quality: 100 })).toFile(file);
}

describe('image-folder dataset', () => {
  let root: string;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-imgfolder-'));
    const jobs: Promise<void>[] = [];
    for (const [cls, colour] of Object.entries(COLOURS)) {
      for (let i = 0; i < 4; i++) jobs.push(writeImage(path.join(root, 'train', cls, `${i}.png`), colour, 20 + 3 * i, 16 + i, 'png'));
      jobs.push(writeImage(path.join(root, 'val', cls, 'a.jpg'), colour, 24, 18, 'jpeg'));
      jobs.push(writeImage(path.join(root, 'val', cls, 'b.png'), colour, 17, 23, 'png'));
    }
    fs.writeFileSync(path.join(root, 'train', 'cat', 'notes.txt'), 'not an image');
    await Promise.all(jobs);
  });

  afterAll(async () => {
    fs.rmSync(root, { recursive: true, force: true });
    await closeImageDecoder();
  });

  it('lists classes sorted by name and their image files', () => {
    const l = listImageFolder(root);
    expect(l.classes).toEqual(['cat', 'dog', 'emu']);
    expect(l.train).toHaveLength(12);
    expect(l.val).toHaveLength(6);
    expect(l.train.every((f) => /\.png$/.test(f.file))).toBe(true);
    expect(l.train.map((f) => f.label)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
  });

  it('decodes, splits and normalises the images (train carved into train + val, val/ is the test split)', () => {
    const data = loadImageFolder({ dir: root, imageSize: 8, trainSize: 0, valSize: 3, testSize: 0, rng: new Rng(1) });
    expect(data.input).toEqual({ height: 8, width: 8, channels: 3, numClasses: 3 });
    expect([data.train.count, data.val.count, data.test.count]).toEqual([9, 3, 6]);
    const names = Object.keys(COLOURS);
    for (const set of [data.train, data.val, data.test]) {
      expect(set.images.length).toBe(set.count * 8 * 8 * 3);
      for (let n = 0; n < set.count; n++) {
        // a flat image stays flat through crop, resize and flip: check one pixel against its class colour
        const colour = COLOURS[names[set.labels[n]]];
        const px = Array.from(set.images.subarray(n * 192 + 3 * 27, n * 192 + 3 * 27 + 3));
        px.forEach((v, c) => expect(Math.abs(v - (colour[c] / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c])).toBeLessThan(0.1));
      }
    }
  });

  it('is a pure function of the seed, through loadData too', () => {
    const cfg = { dataset: 'image-folder' as const, dir: root, imageSize: 8, trainSize: 5, valSize: 2, testSize: 4 };
    const a = loadData(cfg, 7);
    const b = loadData(cfg, 7);
    expect(a.train.count).toBe(5);
    expect(a.test.count).toBe(4);
    expect(Array.from(a.train.labels)).toEqual(Array.from(b.train.labels));
    expect(Buffer.from(a.test.images.buffer).equals(Buffer.from(b.test.images.buffer))).toBe(true);
  });

  it('refuses more images than maxImages in memory mode (auto streams them), and bad folders, with a clear DataError', () => {
    const opts = { dir: root, imageSize: 8, trainSize: 0, valSize: 2, testSize: 0, rng: new Rng(1), maxImages: 10 };
    expect(() => loadImageFolder({ ...opts, mode: 'memory' })).toThrow(
      /18 images of 8x8x3 would be decoded into memory, more than the limit of 10 \(data\.imageFolder\.maxImages\); set data\.imageFolder\.mode to 'stream'/,
    );
    const auto = loadImageFolder({ ...opts, rng: new Rng(1) });
    expect(auto.name).toMatch(/\(streamed\)$/);
    expect(auto.train.stream).toBeDefined();
    expect(auto.train.images).toHaveLength(0);
    expect(() => listImageFolder(path.join(root, 'nope'))).toThrow(DataError);
    expect(() => loadData({ dataset: 'image-folder', imageSize: 8, trainSize: 0, valSize: 1, testSize: 0 } as never, 0)).toThrow(/set data.dir/);
  });

  it('names the file that cannot be decoded', () => {
    const bad = path.join(root, 'train', 'dog', 'zz-broken.png');
    fs.writeFileSync(bad, 'this is not a png');
    try {
      expect(() => loadImageFolder({ dir: root, imageSize: 8, trainSize: 0, valSize: 0, testSize: 0, rng: new Rng(1) })).toThrow(/zz-broken\.png/);
    } finally {
      fs.rmSync(bad);
    }
  });
});

describe('crop boxes', () => {
  it('random-resized-crop boxes lie inside the image with area 8%..100% and aspect 3/4..4/3', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 500; i++) {
      // photo-like shapes (a very thin image falls back to a centre crop of its own aspect, below 8%)
      const w = 10 + rng.int(300);
      const h = Math.round(w * (0.6 + 0.9 * rng.next()));
      const b = randomResizedCropBox(w, h, rng);
      expect(b.left).toBeGreaterThanOrEqual(0);
      expect(b.top).toBeGreaterThanOrEqual(0);
      expect(b.left + b.width).toBeLessThanOrEqual(w);
      expect(b.top + b.height).toBeLessThanOrEqual(h);
      expect(b.width).toBeGreaterThan(0);
      expect(b.height).toBeGreaterThan(0);
      // up to one pixel of rounding on each side
      expect((b.width + 1) * (b.height + 1)).toBeGreaterThanOrEqual(0.08 * w * h);
      expect((b.width + 1) / Math.max(b.height - 1, 1)).toBeGreaterThanOrEqual(3 / 4);
      expect(Math.max(b.width - 1, 1) / (b.height + 1)).toBeLessThanOrEqual(4 / 3);
    }
  });

  it('normalises with the ImageNet statistics and mirrors flipped images', () => {
    // one 2x2 image, rows [10 20] and [30 40], the same value in every channel
    const bytes = Uint8Array.from([10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40]);
    const plain = normalizeImages(bytes, 1, 2, [false]);
    const flipped = normalizeImages(bytes, 1, 2, [true]);
    const v = (x: number, c: number): number => (x / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
    expect(plain[0]).toBeCloseTo(v(10, 0), 5);
    expect(plain[5]).toBeCloseTo(v(20, 2), 5);
    expect(Array.from(flipped).map((x) => +x.toFixed(4))).toEqual(
      [20, 20, 20, 10, 10, 10, 40, 40, 40, 30, 30, 30].map((x, i) => +v(x, i % 3).toFixed(4)),
    );
  });

  it('the evaluation box is the centre square that resize-256 + crop-224 reads', () => {
    // 500x375: shorter side 375 -> 256, so the 224 crop covers 224 * 375 / 256 = 328.1 source pixels
    expect(centerCropBox(500, 375, 224)).toEqual({ left: 86, top: 23, width: 328, height: 328 });
    expect(centerCropBox(32, 32, 32)).toEqual({ left: 2, top: 2, width: 28, height: 28 });
  });
});
