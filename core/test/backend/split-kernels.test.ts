/**
 * The wasm convolution kernels split over the batch with the helper thread
 * (on by default with 2+ cores), forward and both gradients, against the
 * float64 reference; the threshold is lowered so that small cases split.
 * Tolerance: max abs error <= 1e-4 * max(1, max |ref|).
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend, setNativeKernelsEnabled, setSplitThreshold, setWasmHelperEnabled, waitForHelper, wasmHelperJobs, wasmThreadsRequested } from '../../src/backend';
import { expectConv2dMatchesReference, explicitPad, Pad } from './helpers';
import { Shape4 } from './reference';

// the helper is off beside tfjs's threaded build (ABSNAS_WASM_THREADS >= 2): nothing to split then
const threaded = wasmThreadsRequested() >= 2;
const describeSplit = threaded ? describe.skip : describe;

beforeAll(async () => {
  await selectBackend('wasm');
  if (threaded) return;
  // the split wraps the wasm kernels, which the native ones (when built) would take over
  setNativeKernelsEnabled(false);
  setWasmHelperEnabled(true);
  setSplitThreshold(0);
  expect(waitForHelper()).toBe(true);
});

afterAll(() => {
  setNativeKernelsEnabled(undefined);
  setSplitThreshold();
  setWasmHelperEnabled(undefined);
});

const cases: [string, Shape4, number, number, Pad][] = [
  ['batch 2, 3x3 same', [2, 7, 6, 3], 3, 1, 'same'],
  ['odd batch 5, stride 2, explicit pad', [5, 9, 8, 4], 3, 2, explicitPad(1)],
  ['batch 3, 1x1 valid', [3, 6, 6, 5], 1, 1, 'valid'],
  ['batch 4, 5x5 same', [4, 8, 8, 2], 5, 1, 'same'],
];

describeSplit('conv kernels split between two threads vs float64 reference', () => {
  test.each(cases)('%s', async (_name, xShape, k, stride, pad) => {
    const jobs = wasmHelperJobs();
    await expectConv2dMatchesReference(xShape, [k, k, xShape[3], 3], stride, pad, 1, 91 + k);
    // the forward and both gradients went through the helper
    expect(wasmHelperJobs() - jobs).toBeGreaterThanOrEqual(3);
  });

  test('batch 1 is not split', () => {
    const jobs = wasmHelperJobs();
    tf.tidy(() => tf.conv2d(tf.ones([1, 5, 5, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 2]) as tf.Tensor4D, 1, 'same'));
    expect(wasmHelperJobs()).toBe(jobs);
  });
});
