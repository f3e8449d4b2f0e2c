/**
 * Chooses and initialises the tfjs backend, fixes its known gradient gaps and
 * runs the start-up self-test.
 *
 * 'auto' tries, in order:
 * 1. @tensorflow/tfjs-node-gpu, kept only if TensorFlow reports a GPU device;
 * 2. webgpu (@tensorflow/tfjs-backend-webgpu over Dawn, see webgpu.ts), only
 *    on a hardware adapter: a software one (Mesa's lavapipe) is much slower
 *    than wasm on the same CPU (docs/performance.md) and is used only when
 *    asked for ('webgpu');
 * 3. tfjs-node-gpu without a GPU (TensorFlow's native CPU kernels), else
 *    @tensorflow/tfjs-node (tfjs-node cannot be loaded beside tfjs-node-gpu:
 *    both register the same 'tensorflow' backend);
 * 4. wasm, with the absnas fill-in kernels;
 * 5. the plain JS cpu backend, with a warning.
 * The node packages and `webgpu` are optional dependencies; why one could
 * not be had (e.g. the CUDA library that tfjs-node-gpu could not open, named
 * from the loader's dlopen error) is kept in `warnings`.
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { registerAddNGradient } from './add-n-gradient';
import { registerDilatedConvGradients } from './conv-gradients';
import { installFrugalGradients } from './gradients';
import { registerPoolGradients } from './pool-gradients';
import { registerSecondOrderGradients } from './second-order-gradients';
import { backendSelfTest, describeSelfTestFailures, SelfTestResult } from './self-test';
import { NATIVE_ADDON_PATH, NATIVE_BUILD_HINT, nativeKernelsError, nativeKernelsInfo, NativeKernelsInfo, nativeKernelsNotBuilt, registerNativeKernels } from './native';
import { registerWasmSplitKernels } from './parallel/kernels';
import { registerCpuFixes, registerWasmFillIns } from './wasm-kernels';
import { prepareWasmBackend, restoreStockWasm, wasmThreadsActive, wasmThreadsError } from './wasm-threads';
import { describeAdapter, probeWebgpu, WebgpuAdapter } from './webgpu';

import { BACKEND_CHOICES, type BackendChoice } from './choices';

export { BACKEND_CHOICES, type BackendChoice };

export interface BackendInfo {
  /** what was asked for */
  choice: BackendChoice;
  /** tf.getBackend() after selection: 'tensorflow', 'webgpu', 'wasm' or 'cpu' */
  name: string;
  /** npm package that provides the backend */
  package: string;
  /** wasm only: whether the SIMD binary is in use */
  simd?: boolean;
  /** wasm only: XNNPACK's threads (1 unless the threaded build runs, see wasm-threads.ts) */
  threads?: number;
  /** wasm only: absnas's native kernels (convolutions, batch norm) when in use */
  native?: NativeKernelsInfo;
  /** wasm only: why the native kernels are not in use */
  nativeError?: string;
  /** 'gpu' or 'cpu' (a software WebGPU adapter runs on the cpu) */
  device?: string;
  /** webgpu only: the adapter */
  adapter?: WebgpuAdapter;
  selfTest: SelfTestResult;
  warnings: string[];
}

const PKG_NODE_GPU = '@tensorflow/tfjs-node-gpu';
const PKG_NODE = '@tensorflow/tfjs-node';
const PKG_WASM = '@tensorflow/tfjs-backend-wasm';
const PKG_WEBGPU = '@tensorflow/tfjs-backend-webgpu';
const PKG_CPU = '@tensorflow/tfjs-backend-cpu';

let current: BackendInfo | undefined;
const NATIVE_UNUSED = "absnas's native kernels are not used: ";
/** The native kernels' build hint is said once per process (a compare selects a backend per cell). */
let toldNativeHint = false;
/** which node package registered the 'tensorflow' backend, once one has loaded */
let nodePackage: string | undefined;

/** The BackendInfo of the last successful selectBackend, if any. */
export function currentBackendInfo(): BackendInfo | undefined {
  return current;
}

export function isBackendChoice(v: unknown): v is BackendChoice {
  return typeof v === 'string' && (BACKEND_CHOICES as readonly string[]).includes(v);
}

/**
 * The shared libraries that tfjs-node-gpu 4.22 needs (built against CUDA 11.2
 * and cuDNN 8.1), with what provides them.
 */
const CUDA_LIBRARIES: [RegExp, string][] = [
  [/^libcudart\.so/, 'the CUDA 11 runtime'],
  [/^libcublasLt\.so/, 'cuBLAS (CUDA 11)'],
  [/^libcublas\.so/, 'cuBLAS (CUDA 11)'],
  [/^libcufft\.so/, 'cuFFT (CUDA 11)'],
  [/^libcurand\.so/, 'cuRAND (CUDA 11)'],
  [/^libcusolver\.so/, 'cuSOLVER (CUDA 11)'],
  [/^libcusparse\.so/, 'cuSPARSE (CUDA 11)'],
  [/^libcudnn[a-z_]*\.so/, 'cuDNN 8'],
  [/^libnvinfer/, 'TensorRT'],
  [/^libcuda\.so/, 'the NVIDIA driver'],
];

/** The library a dlopen error names ("libcudart.so.11.0: cannot open shared object file ..."), if any. */
export function missingLibrary(error: string): string | undefined {
  const m = /([A-Za-z0-9_+.-]+\.so(?:\.[0-9]+)*)\s*:\s*cannot open shared object file/.exec(error);
  return m ? m[1] : undefined;
}

function message(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  // keep the first line (a dlopen error names the missing library there)
  const first = text.split('\n')[0].trim();
  const lib = missingLibrary(first);
  if (lib == null) return first;
  const what = CUDA_LIBRARIES.find(([re]) => re.test(lib));
  return what ? `${first} (missing ${lib}: ${what[1]}; tfjs-node-gpu 4.22 needs CUDA 11.2 and cuDNN 8.1)` : first;
}

/** Loads an optional package without making TypeScript resolve its types. */
function optionalRequire(name: string): { ok: true } | { ok: false; error: string } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    require(name);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: message(e) };
  }
}

async function activate(name: string): Promise<{ ok: true } | { ok: false; error: string }> {
  try {
    if (tf.findBackendFactory(name) == null) return { ok: false, error: `backend '${name}' is not registered` };
    const ok = await tf.setBackend(name);
    if (!ok || tf.getBackend() !== name) return { ok: false, error: `tf.setBackend('${name}') failed` };
    await tf.ready();
    return { ok: true };
  } catch (e) {
    return { ok: false, error: message(e) };
  }
}

function usingGpu(): boolean {
  const b = tf.backend() as unknown as { isUsingGpuDevice?: unknown };
  return b.isUsingGpuDevice === true;
}

type Obtained = Omit<BackendInfo, 'choice' | 'selfTest' | 'warnings'>;

async function tryNodeGpu(warnings: string[]): Promise<{ info?: Obtained; error: string }> {
  if (nodePackage !== PKG_NODE_GPU) {
    if (nodePackage != null) return { error: `${PKG_NODE_GPU} cannot be loaded beside ${nodePackage}` };
    const loaded = optionalRequire(PKG_NODE_GPU);
    if (!loaded.ok) return { error: `${PKG_NODE_GPU} could not be loaded: ${loaded.error}` };
    nodePackage = PKG_NODE_GPU;
  }
  const act = await activate('tensorflow');
  if (!act.ok) return { error: `${PKG_NODE_GPU} loaded but its backend did not start: ${act.error}` };
  if (usingGpu()) return { info: { name: 'tensorflow', package: PKG_NODE_GPU, device: 'gpu' }, error: '' };
  warnings.push(`${PKG_NODE_GPU} loaded but TensorFlow reports no GPU device; it runs on the CPU`);
  return { info: { name: 'tensorflow', package: PKG_NODE_GPU, device: 'cpu' }, error: 'no GPU device' };
}

async function tryNode(): Promise<{ info?: Obtained; error: string }> {
  if (nodePackage == null) {
    const loaded = optionalRequire(PKG_NODE);
    if (!loaded.ok) return { error: `${PKG_NODE} could not be loaded: ${loaded.error}` };
    nodePackage = PKG_NODE;
  }
  // (tfjs-node-gpu, when it is the one loaded, also provides the 'tensorflow' backend)
  const act = await activate('tensorflow');
  if (!act.ok) return { error: `${nodePackage} loaded but its backend did not start: ${act.error}` };
  return { info: { name: 'tensorflow', package: nodePackage, device: usingGpu() ? 'gpu' : 'cpu' }, error: '' };
}

/**
 * tfjs-backend-webgpu reads synchronously (dataSync, arraySync) through an
 * OffscreenCanvas, which Node lacks, and Dawn's Node bindings can only map
 * buffers asynchronously: replace the resulting "OffscreenCanvas is not
 * defined" with an error that says what to do.
 */
function explainSyncReads(backend: tf.KernelBackend): void {
  const b = backend as unknown as { readSync(dataId: tf.DataId): unknown; [MARK_SYNC]?: true };
  if (typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== 'undefined' || b[MARK_SYNC]) return;
  const readSync = b.readSync.bind(backend);
  b.readSync = (dataId: tf.DataId) => {
    try {
      return readSync(dataId);
    } catch (e) {
      if (/OffscreenCanvas/.test(message(e))) {
        throw new Error(
          'the webgpu backend cannot read tensors synchronously in Node (dataSync, arraySync, bufferSync): ' +
            "Dawn's bindings map GPU buffers asynchronously only; use `await tensor.data()` / `await tensor.array()`",
        );
      }
      throw e;
    }
  };
  b[MARK_SYNC] = true;
}

const MARK_SYNC = Symbol.for('absnas.webgpuSyncReads');

/**
 * Whether a hardware WebGPU adapter is possible at all. On Linux it needs a
 * GPU device node; without one, probing would only find a software adapter
 * (which 'auto' does not use), and Dawn prints warnings while it looks.
 */
function mayHaveGpuDevice(): boolean {
  if (process.platform !== 'linux') return true;
  const renderNode = fs.existsSync('/dev/dri') && fs.readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
  return renderNode || fs.existsSync('/dev/nvidia0') || fs.existsSync('/dev/dxg');
}

async function tryWebgpu(hardwareOnly: boolean): Promise<{ info?: Obtained; error: string }> {
  const probe = await probeWebgpu();
  if (!probe.ok) return { error: `webgpu is not available: ${probe.error}` };
  const { adapter } = probe;
  if (hardwareOnly && adapter.kind !== 'hardware') {
    return { error: `webgpu: the adapter is ${describeAdapter(adapter)}; a software adapter is used only when asked for (backend 'webgpu')` };
  }
  const act = await activate('webgpu');
  if (!act.ok) return { error: `${PKG_WEBGPU} did not start on the ${describeAdapter(adapter)} adapter: ${act.error}` };
  explainSyncReads(tf.backend());
  return { info: { name: 'webgpu', package: PKG_WEBGPU, device: adapter.kind === 'hardware' ? 'gpu' : 'cpu', adapter }, error: '' };
}

async function tryWasm(warnings: string[]): Promise<{ info?: Obtained; error: string }> {
  registerWasmFillIns();
  registerWasmSplitKernels();
  registerNativeKernels();
  const threaded = prepareWasmBackend();
  let act = await activate('wasm');
  if (!act.ok && threaded) {
    // the threaded build failed to start: the single-threaded one
    const why = wasmThreadsError() ?? act.error;
    restoreStockWasm(why);
    warnings.push(`the threaded wasm build did not start (${why}); using the single-threaded one`);
    act = await activate('wasm');
  }
  if (!act.ok) return { error: `${PKG_WASM} did not start: ${act.error}` };
  let simd: boolean | undefined;
  try {
    simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  } catch {
    simd = undefined;
  }
  const native = nativeKernelsInfo() ?? undefined;
  const nativeError = native ? undefined : nativeKernelsError();
  // built but not loadable (a load error, a bad ABSNAS_NATIVE_THREADS): say so. (Off beside the
  // threaded build, or by ABSNAS_NATIVE=0, is a choice, which doctor reports.)
  if (nativeError && fs.existsSync(NATIVE_ADDON_PATH) && process.env.ABSNAS_NATIVE !== '0' && wasmThreadsActive() === 0) {
    warnings.push(`${NATIVE_UNUSED}${nativeError}`);
  }
  return { info: { name: 'wasm', package: PKG_WASM, device: 'cpu', simd, threads: tfwasm.getThreadsCount(), native, nativeError }, error: '' };
}

async function tryCpu(): Promise<{ info?: Obtained; error: string }> {
  const act = await activate('cpu');
  if (!act.ok) return { error: `the cpu backend did not start: ${act.error}` };
  return { info: { name: 'cpu', package: PKG_CPU, device: 'cpu' }, error: '' };
}

async function resolve(choice: BackendChoice, warnings: string[], log: (m: string) => void): Promise<Obtained> {
  const need = async (r: { info?: Obtained; error: string }): Promise<Obtained> => {
    if (r.info == null) throw new Error(`Backend '${choice}' is not available: ${r.error}`);
    return r.info;
  };
  switch (choice) {
    case 'tensorflow-gpu': {
      const r = await tryNodeGpu(warnings);
      if (r.info != null && r.info.device !== 'gpu') {
        throw new Error(
          `Backend 'tensorflow-gpu' is not available: ${PKG_NODE_GPU} loaded but TensorFlow reports no GPU device ` +
            `(check the CUDA and cuDNN libraries, libcudart and libcudnn, and the driver)`,
        );
      }
      return need(r);
    }
    case 'webgpu':
      return need(await tryWebgpu(false));
    case 'tensorflow':
      return need(await tryNode());
    case 'wasm':
      return need(await tryWasm(warnings));
    case 'cpu':
      return need(await tryCpu());
    case 'auto': {
      const gpu = await tryNodeGpu(warnings);
      if (gpu.info != null && gpu.info.device === 'gpu') return gpu.info;
      if (gpu.info == null) {
        warnings.push(gpu.error);
        log(`backend: ${gpu.error}`);
      }
      if (mayHaveGpuDevice()) {
        const web = await tryWebgpu(true);
        if (web.info != null) return web.info;
        warnings.push(web.error);
        log(`backend: ${web.error}`);
      } else {
        warnings.push('webgpu: not probed, this machine has no GPU device (/dev/dri/renderD*, /dev/nvidia0)');
      }
      // tfjs-node-gpu without a GPU: TensorFlow's native CPU kernels, still the fastest CPU path
      if (gpu.info != null) {
        const again = await activate('tensorflow');
        if (again.ok) return gpu.info;
      }
      const node = await tryNode();
      if (node.info != null) return node.info;
      warnings.push(node.error);
      log(`backend: ${node.error}`);
      const wasm = await tryWasm(warnings);
      if (wasm.info != null) return wasm.info;
      warnings.push(wasm.error);
      log(`backend: ${wasm.error}`);
      const cpu = await tryCpu();
      if (cpu.info == null) throw new Error(`No tfjs backend could be started: ${cpu.error}`);
      warnings.push('falling back to the plain JS cpu backend, which is slow');
      return cpu.info;
    }
    default:
      throw new Error(`Unknown backend choice '${String(choice)}'; expected one of ${BACKEND_CHOICES.join(', ')}`);
  }
}

/**
 * Selects, initialises and self-tests a backend; records and returns what
 * was obtained. An explicit choice that cannot be had throws an Error that
 * names the missing package or library.
 */
export async function selectBackend(choice: BackendChoice = 'auto', log: (msg: string) => void = () => undefined): Promise<BackendInfo> {
  if (!isBackendChoice(choice)) {
    throw new Error(`Unknown backend choice '${String(choice)}'; expected one of ${BACKEND_CHOICES.join(', ')}`);
  }
  const warnings: string[] = [];
  // backend-independent fixes: harmless where unused, so always in place
  registerDilatedConvGradients();
  registerPoolGradients();
  registerAddNGradient();
  registerSecondOrderGradients();
  installFrugalGradients();
  registerCpuFixes();
  const got = await resolve(choice, warnings, log);
  const selfTest = await backendSelfTest({ tolerance: got.device === 'gpu' ? 1e-2 : 1e-3 });
  if (!selfTest.ok) warnings.push(`backend self-test failed: ${describeSelfTestFailures(selfTest).join('; ')}`);
  const info: BackendInfo = { choice, ...got, selfTest, warnings };
  current = info;
  const extras = [
    info.device,
    info.simd === undefined ? undefined : info.simd ? 'simd' : 'no simd',
    info.threads === undefined ? undefined : `${info.threads} thread${info.threads === 1 ? '' : 's'}`,
    info.adapter === undefined ? undefined : `adapter ${describeAdapter(info.adapter)}`,
    info.native === undefined ? undefined : `native ${info.native.library} kernels (${info.native.isa}, ${info.native.followsLoad ? 'up to ' : ''}${info.native.threads} threads)`,
  ].filter((v) => v !== undefined);
  log(
    `backend: ${info.name} (${info.package}${extras.length ? ', ' + extras.join(', ') : ''}); ` +
      `self-test ${selfTest.ok ? 'ok' : 'FAILED'} in ${selfTest.ms} ms`,
  );
  if (!selfTest.ok) log(`backend: ${warnings[warnings.length - 1]}`);
  if (info.name === 'wasm' && info.native === undefined && !toldNativeHint) {
    // not built, or built but unusable (an addon left from an older absnas): said once per process
    const unusable = warnings.find((w) => w.startsWith(NATIVE_UNUSED));
    if (nativeKernelsNotBuilt() || unusable) toldNativeHint = true;
    if (nativeKernelsNotBuilt()) log(`note: absnas's native CPU kernels are not built: ${NATIVE_BUILD_HINT}`);
    else if (unusable) log(`warning: ${unusable}`);
  }
  return info;
}
