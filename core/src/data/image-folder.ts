import * as fs from 'fs';
import * as path from 'path';
import { MessageChannel, receiveMessageOnPort, Worker } from 'worker_threads';
import type { InputSpec } from '../space/search-space';
import { DataError } from '../util/errors';
import type { Rng } from '../util/rng';
import type { DataSplits, ImageSet } from './dataset';

/**
 * A class-per-folder image dataset (the layout of ImageNet and of
 * torchvision's ImageFolder):
 *
 *   <dir>/train/<class>/*.jpg|jpeg|png      the official training set
 *   <dir>/val/<class>/*.jpg|jpeg|png        the official validation set
 *
 * Classes are the sub-folders of train/, sorted by name (code points, as
 * Python's `sorted`); label i is the i-th class. As for MNIST and CIFAR-10,
 * our validation split is carved from the official training set (seeded),
 * and the official validation set is our test split.
 *
 * Images are decoded with sharp, to RGB, and transformed as the reference
 * ImageNet pipelines do:
 * - training: random-resized-crop (area 8%..100%, aspect 3/4..4/3, ten tries
 *   then a centre crop, as torchvision) to imageSize x imageSize, then a
 *   horizontal flip with probability 1/2;
 * - validation and test: resize the shorter side to imageSize / 0.875
 *   (256 for 224), then a centre crop of imageSize x imageSize;
 * then normalised with the ImageNet channel means and deviations.
 *
 * This loader holds the decoded splits in memory (DataSplits is a set of
 * typed arrays), so a training image gets ONE random crop, drawn from the
 * seed at load time, not a fresh one every epoch (the trainer's `augment`
 * adds per-epoch shifts and flips on top). It refuses to load more than
 * `maxImages` images. Full-scale ImageNet needs the streaming path: batches
 * decoded lazily from the file list (and cropped afresh each epoch), which
 * needs a lazy `ImageSet` in core's data layer; that is the next step.
 */

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** File name endings read as images (case-insensitive). */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png'] as const;

/** Evaluation resize: the shorter side becomes imageSize / EVAL_CROP_FRACTION before the centre crop. */
export const EVAL_CROP_FRACTION = 0.875;

/** Decoded float32 bytes that the in-memory loader holds at most, unless told otherwise (2 GiB). */
export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;

export interface ImageFolderFile {
  file: string;
  label: number;
}

export interface ImageFolderListing {
  classes: string[];
  train: ImageFolderFile[];
  /** The official validation set (our test split). */
  val: ImageFolderFile[];
}

export interface ImageFolderOptions {
  /** The root holding train/ and val/. */
  dir: string;
  /** Side of the square images. */
  imageSize: number;
  /** Training images used (0 = all those left after validation). */
  trainSize: number;
  /** Validation images, carved from train/ after a seeded shuffle. */
  valSize: number;
  /** Images used from val/ (0 = all), a seeded random subset otherwise. */
  testSize: number;
  rng: Rng;
  /** Refuse to load more images than this (default: what fits in DEFAULT_MAX_BYTES as float32). */
  maxImages?: number;
}

/** A crop box in source pixel coordinates. */
export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

function isImageFile(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

function sortedEntries(dir: string, what: 'dirs' | 'files'): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new DataError(`image-folder: cannot read ${dir}: ${(e as Error).message}`);
  }
  const names = entries
    .filter((e) => (what === 'dirs' ? e.isDirectory() : e.isFile() && isImageFile(e.name)))
    .map((e) => e.name);
  // code-point order, as Python's sorted() (localeCompare would depend on the locale)
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The classes and files of an image-folder root, in a fixed order (class, then file name). */
export function listImageFolder(dir: string): ImageFolderListing {
  const trainDir = path.join(dir, 'train');
  const valDir = path.join(dir, 'val');
  for (const d of [trainDir, valDir]) {
    if (!fs.existsSync(d) || !fs.statSync(d).isDirectory()) {
      throw new DataError(`image-folder: ${d} is not a folder (expected ${dir}/train/<class>/*.jpg and ${dir}/val/<class>/*.jpg)`);
    }
  }
  const classes = sortedEntries(trainDir, 'dirs');
  if (classes.length < 2) throw new DataError(`image-folder: ${trainDir} has ${classes.length} class folder(s), need at least 2`);
  const labelOf = new Map(classes.map((c, i) => [c, i]));
  const filesOf = (root: string, names: string[]): ImageFolderFile[] =>
    names.flatMap((c) => {
      const label = labelOf.get(c);
      if (label === undefined) {
        throw new DataError(`image-folder: ${path.join(root, c)} is a class that ${trainDir} does not have`);
      }
      return sortedEntries(path.join(root, c), 'files').map((f) => ({ file: path.join(root, c, f), label }));
    });
  const train = filesOf(trainDir, classes);
  const val = filesOf(valDir, sortedEntries(valDir, 'dirs'));
  if (train.length === 0) throw new DataError(`image-folder: no .jpg/.jpeg/.png images under ${trainDir}`);
  if (val.length === 0) throw new DataError(`image-folder: no .jpg/.jpeg/.png images under ${valDir}`);
  return { classes, train, val };
}

/**
 * torchvision's RandomResizedCrop box: area fraction in [0.08, 1] and
 * aspect ratio log-uniform in [3/4, 4/3], ten tries, then a centre crop.
 */
export function randomResizedCropBox(width: number, height: number, rng: Rng, scale = [0.08, 1], ratio = [3 / 4, 4 / 3]): CropBox {
  const area = width * height;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * (scale[0] + rng.next() * (scale[1] - scale[0]));
    const aspect = Math.exp(logRatio[0] + rng.next() * (logRatio[1] - logRatio[0]));
    const w = Math.round(Math.sqrt(targetArea * aspect));
    const h = Math.round(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.int(height - h + 1);
      const left = rng.int(width - w + 1);
      return { left, top, width: w, height: h };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < ratio[0]) h = Math.round(w / ratio[0]);
  else if (inRatio > ratio[1]) w = Math.round(h * ratio[1]);
  return { left: Math.floor((width - w) / 2), top: Math.floor((height - h) / 2), width: w, height: h };
}

/**
 * The source box that "resize the shorter side to size / 0.875, centre-crop
 * size x size" reads, so that one extract + resize does both.
 */
export function centerCropBox(width: number, height: number, size: number, fraction = EVAL_CROP_FRACTION): CropBox {
  const shorter = Math.min(width, height);
  const resized = Math.round(size / fraction);
  const side = Math.max(1, Math.min(shorter, Math.round((size * shorter) / resized)));
  return { left: Math.floor((width - side) / 2), top: Math.floor((height - side) / 2), width: side, height: side };
}

// ---------------------------------------------------------------- decoding

/** One image to decode: the box of the source to take, resized to the output size. */
export interface DecodeJob extends CropBox {
  file: string;
}

/**
 * The worker: sharp only has an asynchronous API, and loadData is
 * synchronous, so decoding runs in a worker thread while this thread waits
 * on a shared flag (Atomics.wait). Slot 0 of the flag is 1 when the worker is
 * done; slot 1 counts finished images (a heartbeat).
 */
const WORKER_SOURCE = `
const { workerData } = require('worker_threads');
const { flag, port, task } = workerData;
const state = new Int32Array(flag);
function finish(message) {
  port.postMessage(message);
  Atomics.store(state, 0, 1);
  Atomics.notify(state, 0);
}
(async () => {
  const sharp = require(workerData.sharpPath);
  const out = [];
  let next = 0;
  const run = async () => {
    while (next < task.items.length) {
      const i = next++;
      const item = task.items[i];
      try {
        if (task.kind === 'metadata') {
          const m = await sharp(item.file).metadata();
          out[i] = [m.width || 0, m.height || 0];
        } else {
          const size = task.size;
          const { data, info } = await sharp(item.file)
            .extract({ left: item.left, top: item.top, width: item.width, height: item.height })
            .resize(size, size, { fit: 'fill' })
            .removeAlpha()
            .toColourspace('srgb')
            .raw({ depth: 'uchar' })
            .toBuffer({ resolveWithObject: true });
          if (info.width !== size || info.height !== size || info.channels !== 3) {
            throw new Error('decoded to ' + info.width + 'x' + info.height + 'x' + info.channels + ', expected ' + size + 'x' + size + 'x3');
          }
          new Uint8Array(task.output, i * size * size * 3, size * size * 3).set(data);
        }
      } catch (e) {
        throw Object.assign(new Error(item.file + ': ' + (e && e.message ? e.message : String(e))), { file: item.file });
      }
      Atomics.add(state, 1, 1);
    }
  };
  await Promise.all(Array.from({ length: Math.min(task.concurrency, task.items.length) }, run));
  return out;
})().then(
  (out) => finish({ ok: true, out }),
  (e) => finish({ ok: false, error: e && e.message ? e.message : String(e) }),
);
`;

type WorkerTask =
  | { kind: 'metadata'; items: { file: string }[]; concurrency: number }
  | { kind: 'decode'; items: DecodeJob[]; size: number; output: SharedArrayBuffer; concurrency: number };

/** Seconds without a finished image after which the decoder is presumed stuck. */
const STALL_SECONDS = 120;

function resolveSharp(): string {
  try {
    return require.resolve('sharp');
  } catch {
    throw new DataError("image-folder: the package 'sharp' is not installed (npm install sharp)");
  }
}

function runWorker(task: WorkerTask): unknown {
  const flag = new SharedArrayBuffer(8);
  const state = new Int32Array(flag);
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { flag, port: port2, task, sharpPath: resolveSharp() },
    transferList: [port2],
  });
  try {
    let progress = 0;
    let lastProgressAt = Date.now();
    while (Atomics.wait(state, 0, 0, 1000) === 'timed-out') {
      const now = Atomics.load(state, 1);
      if (now !== progress) {
        progress = now;
        lastProgressAt = Date.now();
      } else if (Date.now() - lastProgressAt > STALL_SECONDS * 1000) {
        throw new DataError(`image-folder: the image decoder made no progress for ${STALL_SECONDS}s (after ${progress} images)`);
      }
    }
    const received = receiveMessageOnPort(port1);
    const message = received?.message as { ok: boolean; out?: unknown; error?: string } | undefined;
    if (!message) throw new DataError('image-folder: the image decoder ended without an answer');
    if (!message.ok) throw new DataError(`image-folder: cannot decode ${message.error}`);
    return message.out;
  } finally {
    port1.close();
    void worker.terminate();
  }
}

/** Width and height of each image file (headers only). */
export function readImageSizes(files: readonly string[]): [number, number][] {
  if (files.length === 0) return [];
  const sizes = runWorker({ kind: 'metadata', items: files.map((file) => ({ file })), concurrency: 8 }) as [number, number][];
  sizes.forEach(([w, h], i) => {
    if (!(w > 0 && h > 0)) throw new DataError(`image-folder: cannot read the size of ${files[i]}`);
  });
  return sizes;
}

/** Decode each job's box, resized to size x size RGB: bytes, NHWC. */
export function decodeImages(jobs: readonly DecodeJob[], size: number): Uint8Array {
  const output = new SharedArrayBuffer(jobs.length * size * size * 3);
  if (jobs.length > 0) runWorker({ kind: 'decode', items: [...jobs], size, output, concurrency: 4 });
  return new Uint8Array(output);
}

/**
 * Bytes to normalised float32 (ImageNet means and deviations), mirroring
 * the images whose `flip` is set.
 */
export function normalizeImages(bytes: Uint8Array, count: number, size: number, flips?: readonly boolean[]): Float32Array {
  const C = 3;
  const out = new Float32Array(count * size * size * C);
  const scale = IMAGENET_STD.map((s) => 1 / (255 * s));
  const shift = IMAGENET_MEAN.map((m, c) => -m / IMAGENET_STD[c]);
  for (let n = 0; n < count; n++) {
    const flip = flips?.[n] ?? false;
    for (let y = 0; y < size; y++) {
      const row = (n * size + y) * size * C;
      for (let x = 0; x < size; x++) {
        const src = row + (flip ? size - 1 - x : x) * C;
        const dst = row + x * C;
        for (let c = 0; c < C; c++) out[dst + c] = bytes[src + c] * scale[c] + shift[c];
      }
    }
  }
  return out;
}

function pickSubset<T>(items: readonly T[], count: number, rng: Rng): T[] {
  const order = rng.shuffle(items.map((_, i) => i));
  return order.slice(0, count).map((i) => items[i]);
}

/**
 * Load an image-folder dataset into memory: the seeded split, then one
 * decode of every image used (see the module comment for the transforms).
 */
export function loadImageFolder(opts: ImageFolderOptions): DataSplits {
  const { dir, imageSize: size, rng } = opts;
  if (!Number.isInteger(size) || size < 1) throw new DataError(`image-folder: imageSize must be an integer >= 1, got ${size}`);
  for (const name of ['trainSize', 'valSize', 'testSize'] as const) {
    const v = opts[name];
    if (!Number.isInteger(v) || v < 0) throw new DataError(`image-folder: ${name} must be an integer >= 0, got ${v}`);
  }
  const listing = listImageFolder(dir);
  const input: InputSpec = { height: size, width: size, channels: 3, numClasses: listing.classes.length };

  // the split: shuffle the training files once; validation first, then training
  const shuffled = pickSubset(listing.train, listing.train.length, rng.fork('image-folder-split'));
  if (opts.valSize >= shuffled.length) {
    throw new DataError(`image-folder: valSize ${opts.valSize} leaves no training images (train/ has ${shuffled.length})`);
  }
  const val = shuffled.slice(0, opts.valSize);
  const rest = shuffled.slice(opts.valSize);
  if (opts.trainSize > rest.length) {
    throw new DataError(`image-folder: trainSize ${opts.trainSize} exceeds the ${rest.length} training images left after validation`);
  }
  const train = opts.trainSize > 0 ? rest.slice(0, opts.trainSize) : rest;
  if (opts.testSize > listing.val.length) {
    throw new DataError(`image-folder: testSize ${opts.testSize} exceeds the ${listing.val.length} images of ${path.join(dir, 'val')}`);
  }
  const test = opts.testSize > 0 ? pickSubset(listing.val, opts.testSize, rng.fork('image-folder-test')) : listing.val;

  const total = train.length + val.length + test.length;
  const maxImages = opts.maxImages ?? Math.floor(DEFAULT_MAX_BYTES / (size * size * 3 * 4));
  if (total > maxImages) {
    throw new DataError(
      `image-folder: ${total} images of ${size}x${size}x3 would be decoded into memory, more than the limit of ${maxImages}; ` +
        'set data.trainSize / data.valSize / data.testSize to use a subset (streaming batches from disk is not implemented yet)',
    );
  }

  const augmentRng = rng.fork('image-folder-augment');
  const decodeSet = (files: ImageFolderFile[], training: boolean): ImageSet => {
    const sizes = readImageSizes(files.map((f) => f.file));
    const flips: boolean[] = [];
    const jobs = files.map((f, i) => {
      const [w, h] = sizes[i];
      const box = training ? randomResizedCropBox(w, h, augmentRng) : centerCropBox(w, h, size);
      flips.push(training && augmentRng.next() < 0.5);
      return { file: f.file, ...box };
    });
    const bytes = decodeImages(jobs, size);
    return {
      images: normalizeImages(bytes, files.length, size, flips),
      labels: Int32Array.from(files.map((f) => f.label)),
      count: files.length,
    };
  };
  return {
    name: `image-folder:${path.basename(path.resolve(dir))}`,
    input,
    train: decodeSet(train, true),
    val: decodeSet(val, false),
    test: decodeSet(test, false),
  };
}
