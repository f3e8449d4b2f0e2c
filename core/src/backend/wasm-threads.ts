/**
 * tfjs-backend-wasm's threaded SIMD build in Node: XNNPACK's own thread pool
 * (pthreads on worker_threads over a shared wasm memory) for every op.
 *
 * tfjs turns threads off in Node (its WASM_HAS_MULTITHREAD_SUPPORT flag is
 * false there, tfjs issue 3830), and its init could not start them anyway:
 * it hands Emscripten the pthread worker and the main script as Blob URLs,
 * which Node's Worker and the worker's importScripts (fs.readFileSync) cannot
 * open. The Emscripten glue itself supports Node, so absnas registers its own
 * 'wasm' factory that instantiates the threaded module with real files:
 * - the pthread worker: the package's `wasmWorkerContents` string written to
 *   a file in the temp dir (named by its hash);
 * - the main script: the glue file in the package's wasm-out/.
 * Two more fixes:
 * - the C++ side caps the pool at emscripten_num_logical_cores() / 2 (it
 *   assumes hyper-threading), i.e. 1 thread on 2 cores: the wasm import that
 *   reports the cores is replaced to report 2x the threads asked for;
 * - Emscripten ref()s a worker while it runs a pthread, and XNNPACK's pool
 *   threads run for ever (blocked between ops), so they would keep the
 *   process alive: they are unref()ed once the pool exists.
 * The kernels and ops are the package's own ('wasm' keeps its kernels); the
 * absnas kernels read the heap through module.HEAP*, kept fresh here because
 * a shared memory grown by another thread does not refresh them.
 *
 * ABSNAS_WASM_THREADS=<n> (n >= 2) asks for it with n threads (at most 8, the
 * pthread pool the build preallocates), 0 or 1 for the single-threaded build;
 * setWasmThreads in code. It has to be decided before the wasm backend starts.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';

/** XNNPACK's pool is capped at 8 in tfjs's C++, and 8 workers are preallocated. */
export const MAX_WASM_THREADS = 8;

/** The default when nothing is asked: see docs/performance.md for the paired measurement behind it. */
const DEFAULT_THREADS = 1;

/** How long the threaded module (8 workers, each instantiating the wasm) may take to start. */
const START_TIMEOUT_MS = 60_000;

let override: number | undefined;
/** threads of the running threaded backend; 0 when the wasm backend in use is the single-threaded one */
let active = 0;
let lastError: string | undefined;

/** Asks for the threaded build with n threads (n >= 2), or the single-threaded one (0, 1); undefined restores the default. */
export function setWasmThreads(n: number | undefined): void {
  override = n === undefined ? undefined : Math.max(0, Math.floor(n));
}

function cores(): number {
  const o = os as typeof os & { availableParallelism?: () => number };
  return typeof o.availableParallelism === 'function' ? o.availableParallelism() : os.cpus().length;
}

/** Threads asked for: setWasmThreads, else ABSNAS_WASM_THREADS (a number, or 'auto' for one per core), else the default. 1 means the single-threaded build. */
export function wasmThreadsRequested(): number {
  let n = override;
  if (n === undefined) {
    const env = process.env.ABSNAS_WASM_THREADS?.trim();
    if (env === 'auto') n = cores();
    else if (env != null && env !== '' && Number.isFinite(Number(env))) n = Math.floor(Number(env));
    else n = DEFAULT_THREADS;
  }
  return Math.min(Math.max(n, 1), MAX_WASM_THREADS);
}

/** Threads of the threaded wasm backend when it is the one running, else 0. */
export function wasmThreadsActive(): number {
  return active;
}

/** Why the threaded build could not be had, when it was asked for and failed. */
export function wasmThreadsError(): string | undefined {
  return lastError;
}

/** The bits of the WebAssembly global used here (the ES2020 lib has no types for it). */
interface WasmApi {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: object; module: object }>;
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  wasmMemory: { buffer: ArrayBufferLike };
  PThread?: { runningWorkers: { unref(): void }[]; unusedWorkers: { terminate(): unknown }[]; terminateAllThreads(): void };
  [k: string]: unknown;
}

type WasmInfo = { env: Record<string, unknown> };

function wasmOutDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js'));
}

/**
 * The pthread worker script as a file. The package ships it as a string
 * inside a template literal; '\n' escapes in it came out as newlines and
 * must be put back (tfjs does the same before making its Blob).
 */
function workerFile(): string {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { wasmWorkerContents } = require(path.join(wasmOutDir(), 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  const text = wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), `absnas-tfjs-wasm-pthread-${hash}.worker.js`);
  try {
    if (fs.readFileSync(file, 'utf8') === text) return file;
  } catch {
    // not there yet
  }
  try {
    // write then rename: another process may be reading it
    const tmp = `${file}.${process.pid}.${Date.now()}`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
    return file;
  } catch {
    // a file of that name we cannot replace: use a private directory
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-wasm-'));
    const own = path.join(dir, 'pthread.worker.js');
    fs.writeFileSync(own, text);
    return own;
  }
}

const HEAP_VIEWS: [string, new (b: ArrayBufferLike) => ArrayBufferView][] = [
  ['HEAP8', Int8Array],
  ['HEAPU8', Uint8Array],
  ['HEAP16', Int16Array],
  ['HEAPU16', Uint16Array],
  ['HEAP32', Int32Array],
  ['HEAPU32', Uint32Array],
  ['HEAPF32', Float32Array],
  ['HEAPF64', Float64Array],
];

/**
 * module.HEAP* as getters that follow the memory: the glue refreshes them
 * only when the main thread itself grows the heap or goes through its own
 * accessors, and a view of the old SharedArrayBuffer stays valid but short.
 */
function keepHeapViewsFresh(m: EmscriptenModule): void {
  for (const [name, View] of HEAP_VIEWS) {
    let view = m[name] as ArrayBufferView;
    Object.defineProperty(m, name, {
      configurable: true,
      enumerable: true,
      get() {
        const buffer = m.wasmMemory.buffer;
        if (view.buffer !== buffer) view = new View(buffer);
        return view;
      },
      set(v: ArrayBufferView) {
        view = v;
      },
    });
  }
}

async function instantiateThreaded(threads: number): Promise<EmscriptenModule> {
  const dir = wasmOutDir();
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const factory = require(path.join(dir, 'tfjs-backend-wasm-threaded-simd.js')) as (cfg: object) => Promise<EmscriptenModule>;
  const worker = workerFile();
  const wasmFile = path.join(dir, 'tfjs-backend-wasm-threaded-simd.wasm');
  let abort: ((e: Error) => void) | undefined;
  const aborted = new Promise<never>((_, reject) => (abort = reject));
  const config: Record<string, unknown> = {
    locateFile: (p: string) => (p.endsWith('.worker.js') ? worker : path.join(dir, p)),
    // the pthread worker reads and evaluates this file (importScripts)
    mainScriptUrlOrBlob: path.join(dir, 'tfjs-backend-wasm-threaded-simd.js'),
    instantiateWasm: (info: WasmInfo, receive: (instance: object, module: object) => void) => {
      // the C++ side takes half the reported cores as its cap
      info.env.emscripten_num_logical_cores = () => 2 * threads;
      WebAssemblyApi.instantiate(fs.readFileSync(wasmFile), info).then(
        (r) => receive(r.instance, r.module),
        (e: unknown) => abort?.(e instanceof Error ? e : new Error(String(e))),
      );
      return {};
    },
    onAbort: (what: unknown) => abort?.(new Error(`the threaded wasm module aborted: ${String(what)}`)),
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the threaded wasm module did not start in ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    timer.unref();
  });
  try {
    // (the glue turns `config` into its Module object, PThread included, before it resolves)
    const m = await Promise.race([factory(config), aborted, timeout]);
    m.tfjs = {
      init: m.cwrap('init', null, []),
      initWithThreadsCount: m.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: m.cwrap('get_threads_count', 'number', []),
      registerTensor: m.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: m.cwrap('dispose_data', null, ['number']),
      dispose: m.cwrap('dispose', null, []),
    };
    keepHeapViewsFresh(m);
    return m;
  } catch (e) {
    (config.PThread as EmscriptenModule['PThread'])?.terminateAllThreads();
    throw e;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** The stock 'wasm' factory, kept to fall back on. */
let stockFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | undefined;
const WASM_PRIORITY = 2;

function engineHasInstance(name: string): boolean {
  const registry = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry;
  return registry[name] != null;
}

async function threadedBackend(threads: number): Promise<tf.KernelBackend> {
  const m = await instantiateThreaded(threads);
  tfwasm.setThreadsCount(threads);
  // the constructor creates XNNPACK's pool (pthread_create on preloaded workers)
  const backend = new tfwasm.BackendWasm(m as unknown as ConstructorParameters<typeof tfwasm.BackendWasm>[0]);
  // pool threads never exit: do not let them hold the process
  for (const w of m.PThread?.runningWorkers ?? []) w.unref();
  // the build preallocates 8 workers; those the pool did not take only cost memory
  // (a later pthread_create would start a new one)
  if (m.PThread) {
    for (const w of m.PThread.unusedWorkers) w.terminate();
    m.PThread.unusedWorkers.length = 0;
  }
  active = tfwasm.getThreadsCount();
  return backend;
}

/**
 * Registers the 'wasm' factory for what is asked (threaded build or the
 * stock one) before the backend starts; does nothing once it has started.
 * Returns whether the threaded build was asked for.
 */
export function prepareWasmBackend(): boolean {
  if (engineHasInstance('wasm')) return active > 0;
  const threads = wasmThreadsRequested();
  if (stockFactory === undefined) {
    const f = tf.findBackendFactory('wasm');
    if (f == null) return false;
    stockFactory = f;
  }
  if (tf.findBackendFactory('wasm') != null) tf.removeBackend('wasm');
  active = 0;
  if (threads >= 2) {
    tf.registerBackend(
      'wasm',
      () =>
        threadedBackend(threads).catch((e: unknown) => {
          lastError = e instanceof Error ? e.message : String(e);
          throw e;
        }),
      WASM_PRIORITY,
    );
  } else {
    tf.registerBackend('wasm', stockFactory, WASM_PRIORITY);
  }
  return threads >= 2;
}

/** Puts the stock single-threaded factory back after the threaded one failed to start. */
export function restoreStockWasm(error: string): void {
  lastError = error;
  active = 0;
  if (stockFactory === undefined || engineHasInstance('wasm')) return;
  if (tf.findBackendFactory('wasm') != null) tf.removeBackend('wasm');
  tf.registerBackend('wasm', stockFactory, WASM_PRIORITY);
}
