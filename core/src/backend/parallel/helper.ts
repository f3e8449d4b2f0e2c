/**
 * A second thread for the wasm backend.
 *
 * tfjs's wasm backend is single-threaded in Node (its threaded build is off
 * there, tfjs issue 3830). The helper is a worker thread with its own wasm
 * backend; a kernel that is worth it (see kernels.ts) gives it half of the
 * batch: the inputs go through a SharedArrayBuffer, the main thread computes
 * its own half meanwhile and then waits for the helper with Atomics.wait (a
 * kernel is synchronous). The copies cost ~0.3 ms per MB, the halves of the
 * convolutions it is used for 5-30 ms each.
 *
 * The helper starts on the first use and is used once it is ready (until
 * then, and whenever it cannot be had, kernels run on the main thread alone).
 * It does not keep the process alive.
 *
 * On by default where there are at least 2 cores: in the benchmark the NB201
 * step was 23-30% faster with it in every round (docs/performance.md).
 * ABSNAS_WASM_HELPER=0 turns it off, =1 on.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import {
  CONTROL_SLOTS,
  DATA_FLOATS,
  HEADER_BYTES,
  Job,
  JobInput,
  SLOT_DONE,
  SLOT_HEADER_BYTES,
  SLOT_JOB,
  SLOT_READY,
  SLOT_STATUS,
} from './protocol';
import { wasmThreadsActive } from '../wasm-threads';

/** How long the main thread waits for one job before it gives the helper up. */
const TIMEOUT_MS = 60_000;

interface Helper {
  worker: Worker;
  ctrl: Int32Array;
  head: Uint8Array;
  floats: Float32Array;
  seq: number;
  busy: boolean;
}

let helper: Helper | null | undefined;
/** Jobs the helper has finished in this process. */
let finished = 0;

export function wasmHelperJobs(): number {
  return finished;
}
let enabledOverride: boolean | undefined;

/** Turns the helper on or off for this process; undefined restores the default. */
export function setWasmHelperEnabled(on: boolean | undefined): void {
  enabledOverride = on;
}

function cores(): number {
  const o = os as typeof os & { availableParallelism?: () => number };
  return typeof o.availableParallelism === 'function' ? o.availableParallelism() : os.cpus().length;
}

/**
 * Whether kernels may use the helper: never beside the threaded wasm build
 * (its pool already uses the cores); else ABSNAS_WASM_HELPER=0/1, else on
 * with 2 cores or more.
 */
export function wasmHelperEnabled(): boolean {
  if (wasmThreadsActive() > 0) return false;
  if (enabledOverride !== undefined) return enabledOverride;
  const env = process.env.ABSNAS_WASM_HELPER;
  if (env === '0' || env === '1') return env === '1';
  return cores() >= 2;
}

/** The compiled worker script (from the sources under ts-jest, the built one in dist/). */
function workerScript(): string | undefined {
  const here = path.join(__dirname, 'worker.js');
  if (fs.existsSync(here)) return here;
  const built = path.resolve(__dirname, '../../../dist/backend/parallel/worker.js');
  return fs.existsSync(built) ? built : undefined;
}

function start(): Helper | null {
  const script = workerScript();
  if (script == null) return null;
  try {
    const control = new SharedArrayBuffer(CONTROL_SLOTS * 4);
    const header = new SharedArrayBuffer(HEADER_BYTES);
    const data = new SharedArrayBuffer(DATA_FLOATS * 4);
    const worker = new Worker(script, { workerData: { control, header, data } });
    worker.unref();
    const h: Helper = { worker, ctrl: new Int32Array(control), head: new Uint8Array(header), floats: new Float32Array(data), seq: 0, busy: false };
    worker.on('error', () => stop(h));
    worker.on('exit', () => stop(h));
    return h;
  } catch {
    return null;
  }
}

function stop(h: Helper): void {
  if (helper === h) helper = null;
  Atomics.store(h.ctrl, SLOT_JOB, -1);
  Atomics.notify(h.ctrl, SLOT_JOB);
}

/** The helper if it is ready for a job now; starts it on the first call. */
export function readyHelper(): Helper | null {
  if (!wasmHelperEnabled()) return null;
  if (helper === undefined) helper = start();
  if (helper == null || helper.busy) return null;
  return Atomics.load(helper.ctrl, SLOT_READY) === 1 ? helper : null;
}

/** Waits (blocking) until the helper is ready; for tests. Returns whether it is. */
export function waitForHelper(timeoutMs = 30_000): boolean {
  if (!wasmHelperEnabled()) return false;
  if (helper === undefined) helper = start();
  if (helper == null) return false;
  const end = Date.now() + timeoutMs;
  while (Atomics.load(helper.ctrl, SLOT_READY) === 0 && Date.now() < end) Atomics.wait(helper.ctrl, SLOT_READY, 0, 50);
  return Atomics.load(helper.ctrl, SLOT_READY) === 1;
}

/** A job handed to the helper; `wait` blocks until it is done and returns its output (a view, valid until the next job). */
export interface Pending {
  wait(): Float32Array;
}

/**
 * Posts a job: copies the inputs into shared memory and wakes the helper.
 * Returns null (nothing posted) when the inputs and output do not fit.
 */
export function post(
  h: Helper,
  kernel: string,
  attrs: Record<string, unknown>,
  inputs: Record<string, { shape: number[]; values: Float32Array }>,
  outShape: number[],
): Pending | null {
  let offset = 0;
  const placed: Record<string, JobInput> = {};
  for (const [name, t] of Object.entries(inputs)) {
    placed[name] = { shape: t.shape, offset };
    offset += t.values.length;
  }
  const outSize = outShape.reduce((a, b) => a * b, 1);
  if (offset + outSize > h.floats.length) return null;
  const job: Job = { kernel, attrs, inputs: placed, outOffset: offset, outShape };
  const json = new TextEncoder().encode(JSON.stringify(job));
  if (json.length > h.head.length) return null;
  for (const [name, t] of Object.entries(inputs)) h.floats.set(t.values, placed[name].offset);
  h.head.set(json);
  Atomics.store(h.ctrl, SLOT_HEADER_BYTES, json.length);
  const seq = ++h.seq;
  h.busy = true;
  Atomics.store(h.ctrl, SLOT_JOB, seq);
  Atomics.notify(h.ctrl, SLOT_JOB);
  return {
    wait: () => {
      const end = Date.now() + TIMEOUT_MS;
      try {
        while (Atomics.load(h.ctrl, SLOT_DONE) !== seq) {
          if (Date.now() > end || helper !== h) {
            stop(h);
            throw new Error(`absnas wasm helper: ${kernel} did not finish; the helper is turned off`);
          }
          Atomics.wait(h.ctrl, SLOT_DONE, Atomics.load(h.ctrl, SLOT_DONE), 100);
        }
        if (Atomics.load(h.ctrl, SLOT_STATUS) !== 0) {
          const n = Atomics.load(h.ctrl, SLOT_HEADER_BYTES);
          stop(h);
          throw new Error(`absnas wasm helper: ${new TextDecoder().decode(h.head.slice(0, n))}; the helper is turned off`);
        }
        finished++;
        return h.floats.subarray(offset, offset + outSize);
      } finally {
        h.busy = false;
      }
    },
  };
}
