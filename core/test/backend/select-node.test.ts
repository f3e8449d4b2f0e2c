/**
 * selectBackend's 'auto' order with stand-ins for the optional node packages:
 * tfjs-node-gpu fails to load the way it does without CUDA, and tfjs-node is
 * replaced by a module that registers a 'tensorflow' backend (tfjs's cpu
 * kernels under that name).
 */
import * as tf from '@tensorflow/tfjs';
import { currentBackendInfo, selectBackend } from '../../src/backend';

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
  expect(info.warnings).toEqual([
    '@tensorflow/tfjs-node-gpu could not be loaded: libcudart.so.11.0: cannot open shared object file: No such file or directory',
  ]);
  expect(info.selfTest.ok).toBe(true);
  expect(currentBackendInfo()).toBe(info);
});

test("once tfjs-node is loaded, 'tensorflow-gpu' cannot be had beside it; 'tensorflow' reuses it", async () => {
  await expect(selectBackend('tensorflow-gpu')).rejects.toThrow(/cannot be loaded beside @tensorflow\/tfjs-node/);
  const info = await selectBackend('tensorflow');
  expect(info).toMatchObject({ choice: 'tensorflow', name: 'tensorflow', package: '@tensorflow/tfjs-node' });
  expect(info.warnings).toEqual([]);
});
