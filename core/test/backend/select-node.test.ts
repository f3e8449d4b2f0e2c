/**
 * selectBackend's 'auto' order with stand-ins for the optional node packages:
 * tfjs-node-gpu fails to load the way it does without CUDA, tfjs-node is
 * replaced by a module that registers a 'tensorflow' backend (tfjs's cpu
 * kernels under that name), and WebGPU finds no adapter.
 */
import * as tf from '@tensorflow/tfjs';
import { currentBackendInfo, selectBackend } from '../../src/backend';
import * as webgpu from '../../src/backend/webgpu';

// WebGPU finds no adapter (spied on, not mocked: the setup file has loaded the real module,
// and only from here on, after the setup file has selected its backend)
beforeAll(() => {
  jest.spyOn(webgpu, 'probeWebgpu').mockImplementation(async () => ({ ok: false, error: 'Dawn found no WebGPU adapter (stand-in)' }));
});

jest.mock(
  '@tensorflow/tfjs-node-gpu',
  () => {
    throw new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory\n    at Object.Module._extensions');
  },
  { virtual: true },
);

jest.mock(
  '@tensorflow/tfjs-node',
  () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const tfjs = require('@tensorflow/tfjs');
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { MathBackendCPU } = require('@tensorflow/tfjs-backend-cpu');
    tfjs.copyRegisteredKernels('cpu', 'tensorflow');
    tfjs.registerBackend('tensorflow', () => new MathBackendCPU(), 3);
    return {};
  },
  { virtual: true },
);

test("'tensorflow-gpu' names the missing CUDA library", async () => {
  await expect(selectBackend('tensorflow-gpu')).rejects.toThrow(/tfjs-node-gpu could not be loaded: libcudart\.so/);
});

test("'auto' skips tfjs-node-gpu (keeping the loader's message) and takes tfjs-node", async () => {
  const info = await selectBackend('auto');
  expect(tf.getBackend()).toBe('tensorflow');
  expect(info).toMatchObject({ choice: 'auto', name: 'tensorflow', package: '@tensorflow/tfjs-node', device: 'cpu' });
  expect(info.warnings).toHaveLength(2);
  expect(info.warnings[0]).toBe(
    '@tensorflow/tfjs-node-gpu could not be loaded: libcudart.so.11.0: cannot open shared object file: No such file or directory ' +
      '(missing libcudart.so.11.0: the CUDA 11 runtime; tfjs-node-gpu 4.22 needs CUDA 11.2 and cuDNN 8.1)',
  );
  // (without a GPU device node 'auto' does not even look for a WebGPU adapter)
  expect(info.warnings[1]).toMatch(/^webgpu(: not probed, this machine has no GPU device| is not available: Dawn found no WebGPU adapter \(stand-in\))/);
  expect(info.selfTest.ok).toBe(true);
  expect(currentBackendInfo()).toBe(info);
});

test("once tfjs-node is loaded, 'tensorflow-gpu' cannot be had beside it; 'tensorflow' reuses it", async () => {
  await expect(selectBackend('tensorflow-gpu')).rejects.toThrow(/cannot be loaded beside @tensorflow\/tfjs-node/);
  const info = await selectBackend('tensorflow');
  expect(info).toMatchObject({ choice: 'tensorflow', name: 'tensorflow', package: '@tensorflow/tfjs-node' });
  expect(info.warnings).toEqual([]);
});
