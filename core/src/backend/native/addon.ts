/**
 * absnas's optional native CPU kernels (core/native/: convolutions through
 * oneDNN, batch norm, the ReLU and max-pool gradients; AVX2/AVX-512, all
 * cores), built by `npm install` where g++ and libdnnl-dev are present
 * (core/native/build.js). They serve the wasm backend: the kernels read and
 * write the wasm heap in place through Float32Array views (see
 * convolutions.ts, batch-norm.ts, relu.ts, pooling.ts).
 *
 * ABSNAS_NATIVE=0 turns them off; ABSNAS_NATIVE_THREADS=<n> fixes their
 * thread count (default: chosen per kernel from the machine's load, up to one
 * per core, core/native/threads.cc). They are off beside tfjs's threaded wasm
 * build, whose heap is shared memory and whose own threads use the cores.
 *
 * OpenMP's idle workers spin before they sleep; on a busy machine that spin
 * takes cycles from the wasm main thread and from other work. Unless the user
 * set OMP_WAIT_POLICY or GOMP_SPINCOUNT, absnas bounds it (see
 * OPENMP_SPIN_COUNT) before the addon loads OpenMP, which reads these once.
 */
import * as fs from 'fs';
import * as path from 'path';
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { f32 } from '../kernels/common';
import { wasmThreadsActive } from '../wasm-threads';

export interface Addon {
  conv(kind: number, dims: Int32Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  depthwise(kind: number, dims: Int32Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  batchNormForward(
    rows: number, c: number, x: Float32Array, gamma: Float32Array | null, beta: Float32Array | null, eps: number,
    y: Float32Array, mean: Float32Array, variance: Float32Array, invStd: Float32Array,
    runningMean?: Float32Array, runningVar?: Float32Array, update?: Float64Array, newRunningMean?: Float32Array, newRunningVar?: Float32Array,
  ): void;
  batchNormBackward(
    rows: number, c: number, dy: Float32Array, x: Float32Array, mean: Float32Array, invStd: Float32Array,
    gamma: Float32Array | null, dx: Float32Array, sumDy: Float32Array, sumDyXhat: Float32Array,
  ): void;
  relu(x: Float32Array, y: Float32Array): void;
  reluBackward(dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  relu6Backward(dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  maxPoolBackward(dims: Int32Array, x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  maxPool(dims: Int32Array, x: Float32Array, y: Float32Array): void;
  avgPool(dims: Int32Array, x: Float32Array, y: Float32Array): void;
  avgPoolBackward(dims: Int32Array, dy: Float32Array, dx: Float32Array): void;
  binary(op: number, a: Float32Array, b: Float32Array, mid: number, inner: number, out: Float32Array): void;
  addN(inputs: Float32Array[], out: Float32Array): void;
  sgdStep(
    grads: Float32Array[], params: Float32Array[], velocities: (Float32Array | null)[], decays: Uint8Array,
    newParams: Float32Array[], newVelocities: (Float32Array | null)[], settings: Float64Array,
  ): number;
  convImpl(kind: number, depthwise: boolean, dims: Int32Array): string;
  setThreads(n: number): void;
  info(): { version: string; isa: string; threads: number; followsLoad: boolean; lastThreads: number };
}

/**
 * GOMP_SPINCOUNT when the user set no OpenMP wait policy: how long (in spin
 * iterations, roughly 0.1 ms here) an idle worker spins before it sleeps.
 * Long enough to bridge the gaps between back-to-back kernels, short enough
 * that an idle worker leaves the core soon (libgomp's default spins ~300,000).
 */
export const OPENMP_SPIN_COUNT = '10000';

/** What the native kernels are: the oneDNN version, the instruction set it runs and its threads. */
export interface NativeKernelsInfo {
  library: string;
  isa: string;
  /** the most threads a kernel uses */
  threads: number;
  /** whether each kernel takes fewer when other work keeps cores busy (not when ABSNAS_NATIVE_THREADS fixes the count) */
  followsLoad: boolean;
  /** the threads the last kernel ran on */
  lastThreads: number;
}

/** Where the build puts the addon (core/native/build/), seen from src/ or dist/. */
export const NATIVE_ADDON_PATH = path.resolve(__dirname, '../../../native/build/absnas_native.node');

/** What building the native kernels gives, and the command that builds them (said where they are missing). */
export const NATIVE_BUILD_HINT =
  'they make CPU training about 4x faster (a NAS-Bench-201 step, docs/performance.md); to build them, install a C++ compiler ' +
  'and oneDNN (Debian/Ubuntu: sudo apt-get install g++ libdnnl-dev), then run `npm rebuild @absnas/core`';

let addon: Addon | null | undefined;
let loadError = '';
let enabledOverride: boolean | undefined;
/** Kernel calls the addon has run in this process. */
let calls = 0;

function load(): Addon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (!fs.existsSync(NATIVE_ADDON_PATH)) {
    loadError = `not built (${NATIVE_ADDON_PATH} is missing): ${NATIVE_BUILD_HINT}`;
    return null;
  }
  const stale = staleBuild();
  if (stale) {
    loadError = `${stale}: run \`npm rebuild @absnas/core\``;
    return null;
  }
  try {
    // OpenMP reads its settings once, when the addon loads it
    if (process.env.OMP_WAIT_POLICY == null && process.env.GOMP_SPINCOUNT == null) process.env.GOMP_SPINCOUNT = OPENMP_SPIN_COUNT;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require(NATIVE_ADDON_PATH) as Addon;
    const env = process.env.ABSNAS_NATIVE_THREADS;
    if (env != null && env !== '') {
      const n = Number(env);
      if (!Number.isInteger(n) || n < 1) throw new Error(`ABSNAS_NATIVE_THREADS must be a positive integer, got '${env}'`);
      addon.setThreads(n);
    }
  } catch (e) {
    addon = null;
    loadError = e instanceof Error ? e.message : String(e);
  }
  return addon;
}

/** Why the built addon does not belong to these sources (an addon left from an older absnas), or ''. */
function staleBuild(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const build = require(path.join(path.dirname(path.dirname(NATIVE_ADDON_PATH)), 'build.js')) as {
      sourcesFingerprint(): string;
      builtFingerprint(): string | undefined;
    };
    return build.builtFingerprint() === build.sourcesFingerprint() ? '' : `${NATIVE_ADDON_PATH} was built from other sources than this absnas's`;
  } catch (e) {
    return `cannot check ${NATIVE_ADDON_PATH} against its sources: ${(e as Error).message}`;
  }
}

/** Turns the native kernels on or off for this process; undefined restores the default (ABSNAS_NATIVE). */
export function setNativeKernelsEnabled(on: boolean | undefined): void {
  enabledOverride = on;
}

function wanted(): boolean {
  if (enabledOverride !== undefined) return enabledOverride;
  return process.env.ABSNAS_NATIVE !== '0';
}

/** The addon when the native kernels are to run now, else null. */
export function nativeAddon(): Addon | null {
  // the threaded wasm build's heap is shared memory, and its own threads use the cores
  if (!wanted() || wasmThreadsActive() > 0) return null;
  return load();
}

/** The native kernels in use, or null with the reason in nativeKernelsError(). */
export function nativeKernelsInfo(): NativeKernelsInfo | null {
  const a = nativeAddon();
  if (a == null) return null;
  const i = a.info();
  return { library: `oneDNN ${i.version}`, isa: i.isa, threads: i.threads, followsLoad: i.followsLoad, lastThreads: i.lastThreads };
}

/** Why the native kernels are not in use ('' when they are). */
export function nativeKernelsError(): string {
  if (!wanted()) return 'turned off (ABSNAS_NATIVE=0)';
  if (wasmThreadsActive() > 0) return "off beside tfjs's threaded wasm build";
  return load() == null ? loadError : '';
}

/** True when the native kernels are missing because they were never built (not turned off, not failing to load). */
export function nativeKernelsNotBuilt(): boolean {
  return !fs.existsSync(NATIVE_ADDON_PATH);
}

/** How many kernel calls the native kernels have run in this process. */
export function nativeKernelCalls(): number {
  return calls;
}

/** Counts one native kernel call (for nativeKernelCalls). */
export function countNativeCall(): void {
  calls++;
}

/**
 * One native kernel call with one float32 output of `shape`: `fill` gets its
 * view, and takes its inputs' views itself (after the allocation, which may
 * have grown and moved the heap). The output is released if it throws.
 */
export function nativeOutput(backend: BackendWasm, shape: number[], fill: (out: Float32Array) => void): tf.TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  try {
    fill(f32(backend, out));
  } catch (e) {
    backend.disposeData(out.dataId);
    throw e;
  }
  countNativeCall();
  return out;
}
