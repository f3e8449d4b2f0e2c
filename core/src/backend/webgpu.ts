/**
 * WebGPU for tfjs in Node: @tensorflow/tfjs-backend-webgpu over Dawn's
 * native bindings (the optional npm package `webgpu`).
 *
 * The package's entry point is an ES module; its native addon
 * (dist/<platform>-<arch>/dawn.node) is loaded here directly, so that this
 * CommonJS code (and jest) can use it. Its postinstall script only clears a
 * macOS quarantine attribute, so nothing is lost on Linux when npm does not
 * run it.
 *
 * tfjs-backend-webgpu registers its backend when it is first imported, and
 * only if `navigator.gpu` exists then: the GPU object is installed first.
 *
 * Dawn needs a Vulkan driver. Without a GPU, Mesa's lavapipe (llvmpipe)
 * gives a software adapter; Dawn refuses Mesa 22.x (Debian 12's own), which
 * lacks shader features it requires, and accepts Mesa 24+ (Debian 12:
 * `apt-get install -t bookworm-backports mesa-vulkan-drivers`).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';

export interface WebgpuAdapter {
  /** 'software' for a CPU implementation (lavapipe / llvmpipe, SwiftShader, a fallback adapter) */
  kind: 'hardware' | 'software';
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

export type WebgpuProbe = { ok: true; adapter: WebgpuAdapter } | { ok: false; error: string };

const PKG = 'webgpu';
const PKG_BACKEND = '@tensorflow/tfjs-backend-webgpu';

interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<AdapterLike | null>;
}

interface AdapterLike {
  info?: Record<string, unknown>;
  isFallbackAdapter?: boolean;
  requestAdapterInfo?: () => Promise<Record<string, unknown>>;
}

let probed: Promise<WebgpuProbe> | undefined;

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].trim();
}

/** The adapter's kind from what Dawn reports. */
export function adapterKind(info: { architecture?: string; description?: string; device?: string }, fallback?: boolean): 'hardware' | 'software' {
  const text = `${info.architecture ?? ''} ${info.description ?? ''} ${info.device ?? ''}`;
  if (fallback === true || /software|llvmpipe|lavapipe|swiftshader|softpipe/i.test(text)) return 'software';
  return 'hardware';
}

/** Loads Dawn's native addon from the `webgpu` package. */
function loadDawn(): { create: (flags: string[]) => GpuLike; globals: Record<string, unknown> } {
  let dir: string;
  try {
    dir = path.dirname(require.resolve(`${PKG}/package.json`));
  } catch {
    throw new Error(`the optional package '${PKG}' (Dawn's WebGPU for Node) is not installed`);
  }
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  const bin = path.join(dir, 'dist', `${process.platform}-${arch}`, 'dawn.node');
  if (!fs.existsSync(bin)) throw new Error(`'${PKG}' has no native binary for ${process.platform}-${arch} (looked for ${bin})`);
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require(bin);
  } catch (e) {
    throw new Error(`'${PKG}' could not load ${bin}: ${firstLine(e)}`);
  }
}

async function probe(): Promise<WebgpuProbe> {
  try {
    const g = globalThis as unknown as { navigator?: { gpu?: GpuLike } };
    let gpu = g.navigator?.gpu;
    if (gpu == null) {
      const dawn = loadDawn();
      // GPUBufferUsage, GPUMapMode, ... as globals, without replacing any already there
      for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
      gpu = dawn.create([]);
      if (g.navigator == null) g.navigator = { gpu };
      else Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, enumerable: true });
    }
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter == null) {
      return {
        ok: false,
        error:
          'Dawn found no WebGPU adapter (no Vulkan driver it accepts: a GPU driver, or Mesa 24+ lavapipe from mesa-vulkan-drivers; ' +
          "Debian 12's Mesa 22 is refused)",
      };
    }
    const info = adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo() : {});
    const str = (k: string) => (typeof info[k] === 'string' ? (info[k] as string) : '');
    const fallback = adapter.isFallbackAdapter ?? (info.isFallbackAdapter as boolean | undefined);
    const a = { vendor: str('vendor'), architecture: str('architecture'), device: str('device'), description: str('description') };
    const found: WebgpuAdapter = { kind: adapterKind(a, fallback), ...a };
    if (tf.findBackendFactory('webgpu') == null) {
      try {
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        require(PKG_BACKEND);
      } catch (e) {
        return { ok: false, error: `${PKG_BACKEND} could not be loaded: ${firstLine(e)}` };
      }
      if (tf.findBackendFactory('webgpu') == null) {
        return { ok: false, error: `${PKG_BACKEND} was loaded before navigator.gpu was set, so it registered no backend` };
      }
    }
    return { ok: true, adapter: found };
  } catch (e) {
    return { ok: false, error: firstLine(e) };
  }
}

/**
 * Makes WebGPU available to tfjs if it can be (once per process): loads
 * Dawn, installs navigator.gpu, asks for an adapter and registers the tfjs
 * backend. Does not switch backends. Never throws.
 */
export function probeWebgpu(): Promise<WebgpuProbe> {
  probed ??= probe();
  return probed;
}

/** One line describing an adapter, e.g. "software: mesa llvmpipe (llvmpipe: Mesa 25.0.7 ...)". */
export function describeAdapter(a: WebgpuAdapter): string {
  const name = [a.vendor, a.architecture, a.device].filter((s) => s !== '').join(' ');
  return `${a.kind}: ${name || 'unnamed adapter'}${a.description ? ` (${a.description})` : ''}`;
}
