import type { InputSpec } from '../space/search-space';
import { DataError } from '../util/errors';
import type { Rng } from '../util/rng';
import type { DataSplits, ImageSet } from './dataset';

export interface SyntheticOptions {
  /** Sizes; 0 means the default (512 train, 128 validation, 128 test). */
  trainSize: number;
  valSize: number;
  testSize: number;
  rng: Rng;
  height?: number;
  width?: number;
  channels?: number;
  numClasses?: number;
  /** Standard deviation of the pixel noise added to the class pattern (default 0.8). */
  noise?: number;
}

export const SYNTHETIC_DEFAULT_SIZES = { train: 512, val: 128, test: 128 } as const;

/**
 * One pattern per class: a few Gaussian blobs of random sign at random
 * places (per channel), scaled to zero mean and unit variance, so that the
 * classes differ in spatial structure that a small convnet learns quickly.
 */
function classPatterns(rng: Rng, input: InputSpec): Float32Array[] {
  const { height: H, width: W, channels: C } = input;
  const size = H * W * C;
  const patterns: Float32Array[] = [];
  for (let k = 0; k < input.numClasses; k++) {
    const p = new Float32Array(size);
    for (let c = 0; c < C; c++) {
      const blobs = 3;
      for (let b = 0; b < blobs; b++) {
        const cy = rng.next() * H;
        const cx = rng.next() * W;
        const sigma = 0.6 + rng.next() * Math.max(H, W) * 0.2;
        const sign = rng.next() < 0.5 ? -1 : 1;
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            const d2 = (y + 0.5 - cy) ** 2 + (x + 0.5 - cx) ** 2;
            p[(y * W + x) * C + c] += sign * Math.exp(-d2 / (2 * sigma * sigma));
          }
        }
      }
    }
    let mean = 0;
    for (let i = 0; i < size; i++) mean += p[i];
    mean /= size;
    let varSum = 0;
    for (let i = 0; i < size; i++) varSum += (p[i] - mean) ** 2;
    const std = Math.sqrt(varSum / size) || 1;
    for (let i = 0; i < size; i++) p[i] = (p[i] - mean) / std;
    patterns.push(p);
  }
  return patterns;
}

function makeSet(rng: Rng, patterns: Float32Array[], count: number, noise: number): ImageSet {
  const size = patterns[0].length;
  const numClasses = patterns.length;
  const labels = new Int32Array(count);
  // balanced classes, in a random order
  for (let i = 0; i < count; i++) labels[i] = i % numClasses;
  for (let i = count - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = labels[i];
    labels[i] = labels[j];
    labels[j] = t;
  }
  const images = new Float32Array(count * size);
  for (let i = 0; i < count; i++) {
    const pattern = patterns[labels[i]];
    const gain = 0.8 + 0.4 * rng.next();
    const offset = i * size;
    for (let p = 0; p < size; p++) images[offset + p] = gain * pattern[p] + noise * rng.normal();
  }
  return { images, labels, count };
}

/**
 * A small learnable dataset made from the seed: class-dependent patterns
 * plus Gaussian noise, NHWC (default 8x8x1, 4 classes). For fast tests.
 */
export function loadSynthetic(opts: SyntheticOptions): DataSplits {
  const input: InputSpec = {
    height: opts.height ?? 8,
    width: opts.width ?? 8,
    channels: opts.channels ?? 1,
    numClasses: opts.numClasses ?? 4,
  };
  for (const [name, v] of Object.entries(input)) {
    if (!Number.isInteger(v) || v < 1) throw new DataError(`synthetic: ${name} must be an integer >= 1, got ${v}`);
  }
  if (input.numClasses < 2) throw new DataError(`synthetic: numClasses must be >= 2, got ${input.numClasses}`);
  for (const name of ['trainSize', 'valSize', 'testSize'] as const) {
    const v = opts[name];
    if (!Number.isInteger(v) || v < 0) throw new DataError(`synthetic: ${name} must be an integer >= 0, got ${v}`);
  }
  const noise = opts.noise ?? 0.8;
  const rng = opts.rng;
  const patterns = classPatterns(rng.fork('synthetic-patterns'), input);
  const sizes = {
    train: opts.trainSize || SYNTHETIC_DEFAULT_SIZES.train,
    val: opts.valSize || SYNTHETIC_DEFAULT_SIZES.val,
    test: opts.testSize || SYNTHETIC_DEFAULT_SIZES.test,
  };
  return {
    name: 'synthetic',
    input,
    train: makeSet(rng.fork('synthetic-train'), patterns, sizes.train, noise),
    val: makeSet(rng.fork('synthetic-val'), patterns, sizes.val, noise),
    test: makeSet(rng.fork('synthetic-test'), patterns, sizes.test, noise),
  };
}
