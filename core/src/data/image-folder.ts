import * as fs from 'fs';
import * as path from 'path';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'worker_threads';
import type { InputSpec } from '../space/search-space';
import { DataError } from '../util/errors';
import type { Rng } from '../util/rng';
import type { DataSplits, ImageSet, ImageStream, PendingImages } from './dataset';

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
 * Two modes (`data.imageFolder.mode`):
 * - memory: every image used is decoded once at load time into the split's
 *   typed arrays, so a training image keeps ONE random crop, drawn from the
 *   seed at load time, for the whole run (the trainer's `augment` adds
 *   per-epoch shifts and flips on top). Refused above `maxImages`.
 * - stream: only the file list is indexed (paths and labels, in the listing's
 *   fixed order); `batches` asks for each batch when it needs it, and a
 *   training image gets a fresh random crop and flip every pass, drawn from
 *   a generator derived from (pass seed, batch index). Decoding runs in a
 *   worker thread, `prefetch` batches ahead, so it overlaps training.
 * 'auto' (the default) is memory up to `maxImages` images, stream above.
 *
 * Why the streaming reader keeps `batches` synchronous: every consumer (the
 * supernet trainer, the bilevel and from-scratch trainers, BN recalibration,
 * child accuracy, the searchers) iterates `batches` synchronously. Rather
 * than making all of them async, the decoding runs in a worker thread, which
 * works while the main thread is busy with the step; the main thread blocks
 * (Atomics.wait) only when the batch it needs is not decoded yet. The
 * overlap is real (a second thread), and no caller changes.
 *
 * An image that cannot be read fails the load (memory) or the pass (stream)
 * with a DataError naming the file: skipping it would silently change the
 * split and the batches. Replace or remove the file; removing one changes
 * the listing and so the seeded split.
 */

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** File name endings read as images (case-insensitive). */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png'] as const;

/** Evaluation resize: the shorter side becomes imageSize / EVAL_CROP_FRACTION before the centre crop. */
export const EVAL_CROP_FRACTION = 0.875;

/** Decoded float32 bytes that the in-memory loader holds at most, unless told otherwise (2 GiB). */
export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;

/** Batches the streaming reader decodes ahead of the one in use, unless told otherwise. */
export const DEFAULT_PREFETCH = 2;

export type ImageFolderMode = 'auto' | 'memory' | 'stream';

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
  /** Decode everything up front, decode batches on demand, or pick by `maxImages` (default 'auto'). */
  mode?: ImageFolderMode;
  /** Most images decoded into memory (default: what fits in DEFAULT_MAX_BYTES as float32). */
  maxImages?: number;
  /** Stream mode: batches decoded ahead of the one in use (default DEFAULT_PREFETCH). */
  prefetch?: number;
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
  // a symbolic link counts as what it points to (datasets are often linked in)
  const kind = (e: fs.Dirent): 'dir' | 'file' | 'other' => {
    if (e.isSymbolicLink()) {
      try {
        const st = fs.statSync(path.join(dir, e.name));
        return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
      } catch {
        return 'other';
      }
    }
    return e.isDirectory() ? 'dir' : e.isFile() ? 'file' : 'other';
  };
  const names = entries
    .filter((e) => (what === 'dirs' ? kind(e) === 'dir' : isImageFile(e.name) && kind(e) === 'file'))
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

// ------------------------------------------------- crops and normalisation

/**
 * Plain JavaScript run both here and in the decoding worker (which cannot
 * load TypeScript modules), so that the in-memory and streaming readers crop
 * and normalise with the very same code, bit for bit.
 */
const SHARED_SOURCE = `
'use strict';
var MEAN = ${JSON.stringify(IMAGENET_MEAN)};
var STD = ${JSON.stringify(IMAGENET_STD)};
var RRC_SCALE = [0.08, 1];
var RRC_RATIO = [3 / 4, 4 / 3];
var EVAL_FRACTION = ${EVAL_CROP_FRACTION};
/* uniforms a random-resized-crop box takes at most: nine failed tries of 2, then one of 4 */
var BOX_DRAWS = 22;
/* per training image in stream mode: the box draws, then the flip */
var DRAWS_PER_IMAGE = BOX_DRAWS + 1;

/* torchvision's RandomResizedCrop box; next() is uniform in [0, 1) */
function randomResizedCrop(width, height, next, scale, ratio) {
  var area = width * height;
  var logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (var attempt = 0; attempt < 10; attempt++) {
    var targetArea = area * (scale[0] + next() * (scale[1] - scale[0]));
    var aspect = Math.exp(logRatio[0] + next() * (logRatio[1] - logRatio[0]));
    var w = Math.round(Math.sqrt(targetArea * aspect));
    var h = Math.round(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      var top = Math.floor(next() * (height - h + 1));
      var left = Math.floor(next() * (width - w + 1));
      return { left: left, top: top, width: w, height: h };
    }
  }
  var inRatio = width / height;
  var cw = width;
  var ch = height;
  if (inRatio < ratio[0]) ch = Math.round(cw / ratio[0]);
  else if (inRatio > ratio[1]) cw = Math.round(ch * ratio[1]);
  return { left: Math.floor((width - cw) / 2), top: Math.floor((height - ch) / 2), width: cw, height: ch };
}

/* the source box that "resize the shorter side to size / fraction, centre-crop size x size" reads */
function centerCrop(width, height, size, fraction) {
  var shorter = Math.min(width, height);
  var resized = Math.round(size / fraction);
  var side = Math.max(1, Math.min(shorter, Math.round((size * shorter) / resized)));
  return { left: Math.floor((width - side) / 2), top: Math.floor((height - side) / 2), width: side, height: side };
}

/* bytes (RGB, NHWC) to normalised floats at out[outOffset..], mirroring images whose flip is set */
function normalizeInto(bytes, count, size, flips, out, outOffset) {
  var C = 3;
  var scale = STD.map(function (s) { return 1 / (255 * s); });
  var shift = MEAN.map(function (m, c) { return -m / STD[c]; });
  for (var n = 0; n < count; n++) {
    var flip = flips ? !!flips[n] : false;
    for (var y = 0; y < size; y++) {
      var row = (n * size + y) * size * C;
      for (var x = 0; x < size; x++) {
        var src = row + (flip ? size - 1 - x : x) * C;
        var dst = row + x * C;
        for (var c = 0; c < C; c++) out[outOffset + dst + c] = bytes[src + c] * scale[c] + shift[c];
      }
    }
  }
}
`;

interface SharedCode {
  BOX_DRAWS: number;
  DRAWS_PER_IMAGE: number;
  randomResizedCrop(width: number, height: number, next: () => number, scale: readonly number[], ratio: readonly number[]): CropBox;
  centerCrop(width: number, height: number, size: number, fraction: number): CropBox;
  normalizeInto(bytes: ArrayLike<number>, count: number, size: number, flips: ArrayLike<boolean> | null, out: Float32Array, outOffset: number): void;
}

// built from the same source text the worker evaluates
const shared = new Function(
  `${SHARED_SOURCE}\nreturn { BOX_DRAWS: BOX_DRAWS, DRAWS_PER_IMAGE: DRAWS_PER_IMAGE, randomResizedCrop: randomResizedCrop, centerCrop: centerCrop, normalizeInto: normalizeInto };`,
)() as SharedCode;

/** Uniform draws a training image takes in stream mode (fixed, so the draws of a batch never depend on image sizes). */
export const STREAM_DRAWS_PER_IMAGE = shared.DRAWS_PER_IMAGE;

/**
 * torchvision's RandomResizedCrop box: area fraction in [0.08, 1] and
 * aspect ratio log-uniform in [3/4, 4/3], ten tries, then a centre crop.
 */
export function randomResizedCropBox(width: number, height: number, rng: Rng, scale = [0.08, 1], ratio = [3 / 4, 4 / 3]): CropBox {
  return shared.randomResizedCrop(width, height, () => rng.next(), scale, ratio);
}

/**
 * The source box that "resize the shorter side to size / 0.875, centre-crop
 * size x size" reads, so that one extract + resize does both.
 */
export function centerCropBox(width: number, height: number, size: number, fraction = EVAL_CROP_FRACTION): CropBox {
  return shared.centerCrop(width, height, size, fraction);
}

/**
 * Bytes to normalised float32 (ImageNet means and deviations), mirroring
 * the images whose `flip` is set.
 */
export function normalizeImages(bytes: Uint8Array, count: number, size: number, flips?: readonly boolean[]): Float32Array {
  const out = new Float32Array(count * size * size * 3);
  shared.normalizeInto(bytes, count, size, flips ?? null, out, 0);
  return out;
}

// ---------------------------------------------------------------- decoding

/** One image to decode: the box of the source to take, resized to the output size. */
export interface DecodeJob extends CropBox {
  file: string;
}

/**
 * The decoding worker: sharp only has an asynchronous API and `batches` is
 * synchronous, so one long-lived worker thread decodes while the main thread
 * either works (a prefetched batch) or waits on the task's shared flag
 * (Atomics.wait). Tasks run one after another in the order they were sent,
 * each with a few images in flight. A task's answer is posted before its
 * flag is raised, so the waiting thread finds it with receiveMessageOnPort.
 * The heartbeat counts finished images of any task (stall detection).
 */
const WORKER_SOURCE = `
const { workerData } = require('worker_threads');
const sharp = require(workerData.sharpPath);
// every image is read once per pass: libvips' operation cache would only hold memory
sharp.cache(false);
const port = workerData.port;
const heartbeat = new Int32Array(workerData.heartbeat);
${SHARED_SOURCE}
const queue = [];
const cancelled = new Set();
let busy = false;

function messageOf(e) {
  return e && e.message ? e.message : String(e);
}

async function sizeOf(file) {
  const m = await sharp(file).metadata();
  if (!(m.width > 0 && m.height > 0)) throw new Error('no image size in its header');
  return [m.width, m.height];
}

async function decodeBox(file, box, size) {
  const { data, info } = await sharp(file)
    .extract({ left: box.left, top: box.top, width: box.width, height: box.height })
    .resize(size, size, { fit: 'fill' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== 3) {
    throw new Error('decoded to ' + info.width + 'x' + info.height + 'x' + info.channels + ', expected ' + size + 'x' + size + 'x3');
  }
  return data;
}

async function runItem(task, i, floats) {
  const item = task.items[i];
  if (task.kind === 'metadata') {
    task.result[i] = await sizeOf(item.file);
    return;
  }
  const pixels = task.size * task.size * 3;
  if (task.kind === 'decode') {
    new Uint8Array(task.output, i * pixels, pixels).set(await decodeBox(item.file, item, task.size));
    return;
  }
  // stream: the box from the image's own draws (training) or the centre (evaluation)
  const wh = await sizeOf(item.file);
  let box;
  let flip = false;
  if (task.training) {
    const base = i * DRAWS_PER_IMAGE;
    let k = 0;
    box = randomResizedCrop(wh[0], wh[1], function () {
      if (k >= BOX_DRAWS) throw new Error('the crop took more than ' + BOX_DRAWS + ' draws');
      return task.draws[base + k++];
    }, RRC_SCALE, RRC_RATIO);
    flip = task.draws[base + BOX_DRAWS] < 0.5;
  } else {
    box = centerCrop(wh[0], wh[1], task.size, EVAL_FRACTION);
  }
  normalizeInto(await decodeBox(item.file, box, task.size), 1, task.size, [flip], floats, i * pixels);
}

async function runTask(task) {
  if (task.kind === 'metadata') task.result = [];
  const floats = task.kind === 'stream' ? new Float32Array(task.output) : undefined;
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (next < task.items.length && !failed && !cancelled.has(task.id)) {
      const i = next++;
      try {
        await runItem(task, i, floats);
      } catch (e) {
        failed = true;
        throw new Error(task.items[i].file + ': ' + messageOf(e));
      }
      Atomics.add(heartbeat, 0, 1);
    }
  };
  await Promise.all(Array.from({ length: Math.min(task.concurrency, task.items.length) }, lane));
}

async function pump() {
  busy = true;
  while (queue.length > 0) {
    const task = queue.shift();
    let answer;
    try {
      if (!cancelled.has(task.id)) await runTask(task);
      answer = { id: task.id, ok: true, result: task.result };
    } catch (e) {
      answer = { id: task.id, ok: false, error: messageOf(e) };
    }
    cancelled.delete(task.id);
    port.postMessage(answer);
    const flag = new Int32Array(task.flag);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  }
  busy = false;
}

port.on('message', (message) => {
  if (message.cancel !== undefined) {
    cancelled.add(message.cancel);
    return;
  }
  queue.push(message);
  if (!busy) pump();
});
`;

type DecoderTask =
  | { kind: 'metadata'; items: { file: string }[] }
  | { kind: 'decode'; items: DecodeJob[]; size: number; output: SharedArrayBuffer }
  | { kind: 'stream'; items: { file: string }[]; size: number; output: SharedArrayBuffer; training: boolean; draws?: Float64Array };

interface DecoderAnswer {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

interface Ticket {
  id: number;
  flag: Int32Array;
}

/** Seconds without a finished image after which the decoder is presumed stuck. */
const STALL_SECONDS = 120;

function resolveSharp(): string {
  try {
    return require.resolve('sharp');
  } catch {
    throw new DataError("image-folder: the package 'sharp' is not installed (npm install sharp)");
  }
}

/** Images in flight per task: enough to keep libuv's thread pool (UV_THREADPOOL_SIZE, default 4) busy. */
function decodeConcurrency(): number {
  const pool = Number(process.env.UV_THREADPOOL_SIZE);
  return 2 * (Number.isInteger(pool) && pool > 0 ? pool : 4);
}

class ImageDecoder {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly heartbeat = new Int32Array(new SharedArrayBuffer(4));
  private nextId = 1;
  /** Answers read while waiting for another task. */
  private readonly answers = new Map<number, DecoderAnswer>();
  /** Tasks given up whose answers are still to come. */
  private readonly dropped = new Set<number>();
  private failure?: string;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { port: port2, heartbeat: this.heartbeat.buffer, sharpPath: resolveSharp() },
      transferList: [port2],
    });
    // a run that is done exits without closing the decoder
    this.worker.unref();
    this.worker.on('error', (e) => {
      this.failure = e.message;
    });
    this.worker.on('exit', (code) => {
      this.failure ??= `the decoder exited with code ${code}`;
      if (sharedDecoder === this) sharedDecoder = undefined;
    });
    this.port = port1;
    this.port.unref();
  }

  submit(task: DecoderTask): Ticket {
    const id = this.nextId++;
    const flag = new Int32Array(new SharedArrayBuffer(4));
    this.port.postMessage({ ...task, id, flag: flag.buffer, concurrency: decodeConcurrency() });
    return { id, flag };
  }

  /** Block until the task is done; its answer. */
  wait(ticket: Ticket): DecoderAnswer {
    let beats = Atomics.load(this.heartbeat, 0);
    let lastBeatAt = Date.now();
    while (Atomics.wait(ticket.flag, 0, 0, 1000) === 'timed-out') {
      const now = Atomics.load(this.heartbeat, 0);
      if (now !== beats) {
        beats = now;
        lastBeatAt = Date.now();
      } else if (Date.now() - lastBeatAt > STALL_SECONDS * 1000) {
        throw new DataError(
          `image-folder: the image decoder made no progress for ${STALL_SECONDS}s${this.failure ? ` (${this.failure})` : ''}`,
        );
      }
    }
    for (;;) {
      const answer = this.answers.get(ticket.id);
      if (answer) {
        this.answers.delete(ticket.id);
        return answer;
      }
      const received = receiveMessageOnPort(this.port);
      if (!received) throw new DataError('image-folder: the image decoder ended a task without an answer');
      const message = received.message as DecoderAnswer;
      if (!this.dropped.delete(message.id)) this.answers.set(message.id, message);
    }
  }

  /** Give up a task: the worker skips what it has not started, and its answer is dropped. */
  cancel(ticket: Ticket): void {
    if (!this.answers.delete(ticket.id)) this.dropped.add(ticket.id);
    this.port.postMessage({ cancel: ticket.id });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

let sharedDecoder: ImageDecoder | undefined;

function decoder(): ImageDecoder {
  sharedDecoder ??= new ImageDecoder();
  return sharedDecoder;
}

/** Stop the decoding worker (it is unref'd, so a process exits without this; tests tidy up with it). */
export async function closeImageDecoder(): Promise<void> {
  const d = sharedDecoder;
  sharedDecoder = undefined;
  if (d) await d.close();
}

function runTask(task: DecoderTask): unknown {
  const d = decoder();
  const answer = d.wait(d.submit(task));
  if (!answer.ok) throw new DataError(`image-folder: cannot decode ${answer.error}`);
  return answer.result;
}

/** Width and height of each image file (headers only). */
export function readImageSizes(files: readonly string[]): [number, number][] {
  if (files.length === 0) return [];
  return runTask({ kind: 'metadata', items: files.map((file) => ({ file })) }) as [number, number][];
}

/** Decode each job's box, resized to size x size RGB: bytes, NHWC. */
export function decodeImages(jobs: readonly DecodeJob[], size: number): Uint8Array {
  const output = new SharedArrayBuffer(jobs.length * size * size * 3);
  if (jobs.length > 0) runTask({ kind: 'decode', items: [...jobs], size, output });
  return new Uint8Array(output);
}

/**
 * A split read from disk batch by batch (stream mode). A training split
 * takes STREAM_DRAWS_PER_IMAGE uniforms per image from the request's
 * generator, on this thread, so the crops depend on the generator alone.
 */
class FolderStream implements ImageStream {
  constructor(
    private readonly files: readonly string[],
    private readonly size: number,
    private readonly training: boolean,
    readonly prefetch: number,
    readonly seed: number,
  ) {}

  request(positions: Int32Array, crops: Rng): PendingImages {
    const n = positions.length;
    const items = Array.from(positions, (p) => {
      const file = this.files[p];
      if (file === undefined) throw new RangeError(`image-folder: position ${p} is outside the ${this.files.length} images of the split`);
      return { file };
    });
    let draws: Float64Array | undefined;
    if (this.training) {
      draws = new Float64Array(n * STREAM_DRAWS_PER_IMAGE);
      for (let i = 0; i < draws.length; i++) draws[i] = crops.next();
    }
    const output = new SharedArrayBuffer(n * this.size * this.size * 3 * 4);
    const d = decoder();
    const ticket = d.submit({ kind: 'stream', items, size: this.size, output, training: this.training, draws });
    let state: 'pending' | 'taken' | 'cancelled' = 'pending';
    return {
      take: () => {
        if (state !== 'pending') throw new Error(`image-folder: a streamed batch was ${state} already`);
        state = 'taken';
        const answer = d.wait(ticket);
        if (!answer.ok) {
          throw new DataError(
            `image-folder: cannot decode ${answer.error} (stream mode stops at an unreadable image: replace or remove the file; removing one changes the seeded split)`,
          );
        }
        return new Float32Array(output);
      },
      cancel: () => {
        if (state !== 'pending') return;
        state = 'cancelled';
        d.cancel(ticket);
      },
    };
  }
}

function pickSubset<T>(items: readonly T[], count: number, rng: Rng): T[] {
  const order = rng.shuffle(items.map((_, i) => i));
  return order.slice(0, count).map((i) => items[i]);
}

/**
 * Load an image-folder dataset: the seeded split, then either one decode of
 * every image used (memory) or an index of the files for batches decoded on
 * demand (stream); see the module comment.
 */
export function loadImageFolder(opts: ImageFolderOptions): DataSplits {
  const { dir, imageSize: size, rng } = opts;
  if (!Number.isInteger(size) || size < 1) throw new DataError(`image-folder: imageSize must be an integer >= 1, got ${size}`);
  for (const name of ['trainSize', 'valSize', 'testSize'] as const) {
    const v = opts[name];
    if (!Number.isInteger(v) || v < 0) throw new DataError(`image-folder: ${name} must be an integer >= 0, got ${v}`);
  }
  const mode = opts.mode ?? 'auto';
  if (!['auto', 'memory', 'stream'].includes(mode)) {
    throw new DataError(`image-folder: data.imageFolder.mode must be 'auto', 'memory' or 'stream', got ${JSON.stringify(mode)}`);
  }
  const prefetch = opts.prefetch ?? DEFAULT_PREFETCH;
  if (!Number.isInteger(prefetch) || prefetch < 0) {
    throw new DataError(`image-folder: data.imageFolder.prefetch must be an integer >= 0, got ${prefetch}`);
  }
  if (opts.maxImages !== undefined && !(Number.isInteger(opts.maxImages) && opts.maxImages >= 1)) {
    throw new DataError(`image-folder: data.imageFolder.maxImages must be an integer >= 1, got ${opts.maxImages}`);
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
  if (mode === 'memory' && total > maxImages) {
    throw new DataError(
      `image-folder: ${total} images of ${size}x${size}x3 would be decoded into memory, more than the limit of ${maxImages} (data.imageFolder.maxImages); ` +
        "set data.imageFolder.mode to 'stream' (or 'auto') to decode batches from disk as they are needed, or data.trainSize / data.valSize / data.testSize to use a subset",
    );
  }
  const streamed = mode === 'stream' || (mode === 'auto' && total > maxImages);
  const augmentRng = rng.fork('image-folder-augment');
  const name = `image-folder:${path.basename(path.resolve(dir))}`;
  const labelsOf = (files: ImageFolderFile[]): Int32Array => Int32Array.from(files.map((f) => f.label));

  if (streamed) {
    const streamSet = (files: ImageFolderFile[], training: boolean): ImageSet => ({
      images: new Float32Array(0),
      labels: labelsOf(files),
      count: files.length,
      stream: new FolderStream(
        files.map((f) => f.file),
        size,
        training,
        prefetch,
        augmentRng.nextUint32(),
      ),
    });
    return { name: `${name} (streamed)`, input, train: streamSet(train, true), val: streamSet(val, false), test: streamSet(test, false) };
  }

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
    return { images: normalizeImages(bytes, files.length, size, flips), labels: labelsOf(files), count: files.length };
  };
  return { name, input, train: decodeSet(train, true), val: decodeSet(val, false), test: decodeSet(test, false) };
}
