/**
 * tfjs-node-gpu that cannot load its CUDA libraries: the message names the
 * missing library (from the dlopen error) and 'auto' falls back to the next
 * choice. The stand-in throws what Node's loader throws when the binding's
 * dependency libcudnn.so.8 is missing.
 */
import * as tf from '@tensorflow/tfjs';
import { missingLibrary, selectBackend } from '../../src/backend';
import * as webgpu from '../../src/backend/webgpu';

jest.mock(
  '@tensorflow/tfjs-node-gpu',
  () => {
    const e = new Error(
      'libcudnn.so.8: cannot open shared object file: No such file or directory\n' +
        '    at Module._extensions..node (node:internal/modules/cjs/loader:1460:18)\n' +
        '    at Module.load (node:internal/modules/cjs/loader:1203:32)',
    );
    (e as Error & { code?: string }).code = 'ERR_DLOPEN_FAILED';
    throw e;
  },
  { virtual: true },
);

// WebGPU finds no adapter (spied on, not mocked: the setup file has loaded the real module,
// and only from here on, after the setup file has selected its backend)
beforeAll(() => {
  jest.spyOn(webgpu, 'probeWebgpu').mockImplementation(async () => ({ ok: false, error: 'Dawn found no WebGPU adapter (stand-in)' }));
});

describe('tfjs-node-gpu without its CUDA libraries', () => {
  test('missingLibrary reads the library out of dlopen errors', () => {
    expect(missingLibrary('libcudart.so.11.0: cannot open shared object file: No such file or directory')).toBe('libcudart.so.11.0');
    expect(missingLibrary('libcudnn.so.8: cannot open shared object file: No such file or directory')).toBe('libcudnn.so.8');
    expect(
      missingLibrary(
        '/app/node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node: libcublasLt.so.11: cannot open shared object file: No such file or directory',
      ),
    ).toBe('libcublasLt.so.11');
    expect(missingLibrary('libcuda.so.1: cannot open shared object file: No such file or directory')).toBe('libcuda.so.1');
    expect(missingLibrary("Cannot find module '@tensorflow/tfjs-node-gpu'")).toBeUndefined();
  });

  test("'tensorflow-gpu' fails naming libcudnn.so.8 and what provides it", async () => {
    await expect(selectBackend('tensorflow-gpu')).rejects.toThrow(
      /'tensorflow-gpu' is not available: @tensorflow\/tfjs-node-gpu could not be loaded: libcudnn\.so\.8: cannot open shared object file.*\(missing libcudnn\.so\.8: cuDNN 8; tfjs-node-gpu 4\.22 needs CUDA 11\.2 and cuDNN 8\.1\)/,
    );
  });

  test("'auto' falls back (here to wasm) and keeps the reason", async () => {
    const info = await selectBackend('auto');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.name).toBe('wasm');
    expect(info.warnings[0]).toBe(
      '@tensorflow/tfjs-node-gpu could not be loaded: libcudnn.so.8: cannot open shared object file: No such file or directory ' +
        '(missing libcudnn.so.8: cuDNN 8; tfjs-node-gpu 4.22 needs CUDA 11.2 and cuDNN 8.1)',
    );
    // (without a GPU device node 'auto' does not even look for a WebGPU adapter)
    expect(info.warnings[1]).toMatch(/^webgpu(: not probed, this machine has no GPU device| is not available: Dawn found no WebGPU adapter \(stand-in\))/);
    expect(info.warnings[2]).toMatch(/@tensorflow\/tfjs-node could not be loaded/);
  });
});
