/**
 * selectBackend: explicit choices, 'auto' (which here must end on wasm, the
 * two optional node packages not being installed and WebGPU having at most
 * a software adapter) and clear errors for choices that cannot be had.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendChoice, currentBackendInfo, probeWebgpu, selectBackend, wasmThreadsRequested } from '../../src/backend';

/** XNNPACK's threads: 1, or those asked for with ABSNAS_WASM_THREADS (the threaded build). */
const wasmThreads = wasmThreadsRequested();

describe('selectBackend', () => {
  test("'cpu'", async () => {
    const logs: string[] = [];
    const info = await selectBackend('cpu', (m) => logs.push(m));
    expect(tf.getBackend()).toBe('cpu');
    expect(info).toMatchObject({ choice: 'cpu', name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', device: 'cpu' });
    expect(info.selfTest.ok).toBe(true);
    expect(info.selfTest.checks.length).toBeGreaterThan(10);
    expect(info.warnings).toEqual([]);
    expect(currentBackendInfo()).toBe(info);
    expect(logs.some((l) => l.includes('cpu') && l.includes('self-test ok'))).toBe(true);
  });

  test("'auto' ends on wasm and records why the node packages and webgpu were skipped", async () => {
    const logs: string[] = [];
    const info = await selectBackend('auto', (m) => logs.push(m));
    expect(tf.getBackend()).toBe('wasm');
    expect(info).toMatchObject({ choice: 'auto', name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', device: 'cpu', threads: wasmThreads });
    expect(typeof info.simd).toBe('boolean');
    expect(info.selfTest.ok).toBe(true);
    expect(info.warnings).toHaveLength(3);
    expect(info.warnings[0]).toMatch(/@tensorflow\/tfjs-node-gpu could not be loaded: .*Cannot find module/);
    // not probed without a GPU device node; else a software adapter (lavapipe) or none
    expect(info.warnings[1]).toMatch(/^webgpu(: not probed, this machine has no GPU device|: the adapter is software: .*only when asked| is not available: )/);
    expect(info.warnings[2]).toMatch(/@tensorflow\/tfjs-node could not be loaded: .*Cannot find module/);
    expect(logs.filter((l) => l.includes('could not be loaded'))).toHaveLength(2);
    expect(currentBackendInfo()).toBe(info);
  });

  test("'wasm'", async () => {
    const info = await selectBackend('wasm');
    expect(info).toMatchObject({ choice: 'wasm', name: 'wasm', threads: wasmThreads });
    expect(info.warnings).toEqual([]);
    expect(info.selfTest.ok).toBe(true);
  });

  test("'tensorflow' and 'tensorflow-gpu' throw errors naming the missing package; the current backend stays", async () => {
    const before = currentBackendInfo();
    await expect(selectBackend('tensorflow')).rejects.toThrow(/'tensorflow' is not available: @tensorflow\/tfjs-node could not be loaded/);
    await expect(selectBackend('tensorflow-gpu')).rejects.toThrow(
      /'tensorflow-gpu' is not available: @tensorflow\/tfjs-node-gpu could not be loaded/,
    );
    expect(currentBackendInfo()).toBe(before);
    expect(tf.getBackend()).toBe('wasm');
  });

  test('an unknown choice throws', async () => {
    await expect(selectBackend('webgl' as BackendChoice)).rejects.toThrow(/Unknown backend choice 'webgl'; expected one of auto, tensorflow-gpu, webgpu,/);
  });

  test("'webgpu' explicitly: Dawn's adapter (lavapipe without a GPU), or an error that says why not", async () => {
    const probe = await probeWebgpu();
    if (!probe.ok) {
      await expect(selectBackend('webgpu')).rejects.toThrow(/'webgpu' is not available: webgpu is not available: /);
      return;
    }
    const info = await selectBackend('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(info).toMatchObject({ choice: 'webgpu', name: 'webgpu', package: '@tensorflow/tfjs-backend-webgpu' });
    expect(info.adapter).toEqual(probe.adapter);
    expect(info.device).toBe(probe.adapter.kind === 'hardware' ? 'gpu' : 'cpu');
    expect(info.selfTest.ok).toBe(true);
    // synchronous reads cannot work there in Node: the error says what to use instead
    // (large enough not to be forwarded to the CPU by tfjs-backend-webgpu)
    const t = tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])));
    expect(() => t.dataSync()).toThrow(/cannot read tensors synchronously in Node.*await tensor\.data\(\)/);
    expect((await t.data())[0]).toBe(64);
    t.dispose();
    await selectBackend('wasm');
  }, 120000);
});
