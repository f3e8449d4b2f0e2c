/**
 * selectBackend with a stand-in for @tensorflow/tfjs-node-gpu whose backend
 * reports a GPU device (tfjs's cpu kernels under the name 'tensorflow').
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend';

jest.mock(
  '@tensorflow/tfjs-node-gpu',
  () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const tfjs = require('@tensorflow/tfjs');
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { MathBackendCPU } = require('@tensorflow/tfjs-backend-cpu');
    class FakeGpuBackend extends MathBackendCPU {
      readonly isUsingGpuDevice = true;
    }
    tfjs.copyRegisteredKernels('cpu', 'tensorflow');
    tfjs.registerBackend('tensorflow', () => new FakeGpuBackend(), 3);
    return {};
  },
  { virtual: true },
);

test("'auto' takes tfjs-node-gpu when it reports a GPU", async () => {
  const info = await selectBackend('auto');
  expect(tf.getBackend()).toBe('tensorflow');
  expect(info).toMatchObject({ choice: 'auto', name: 'tensorflow', package: '@tensorflow/tfjs-node-gpu', device: 'gpu' });
  expect(info.warnings).toEqual([]);
  expect(info.selfTest.ok).toBe(true);
});

test("'tensorflow-gpu' explicitly", async () => {
  const info = await selectBackend('tensorflow-gpu');
  expect(info).toMatchObject({ choice: 'tensorflow-gpu', name: 'tensorflow', device: 'gpu' });
});
