/** backendSelfTest: passes on the backend under test (on wasm: fast), and catches a broken or missing kernel. */
import * as tf from '@tensorflow/tfjs';
import { backendSelfTest, describeSelfTestFailures } from '../../src/backend';
import { BACKEND_UNDER_TEST, wasmTest } from './helpers';

describe('backendSelfTest', () => {
  test(`passes on ${BACKEND_UNDER_TEST}${BACKEND_UNDER_TEST === 'wasm' ? ' in well under a second' : ''}`, async () => {
    await backendSelfTest(); // warm-up
    const r = await backendSelfTest();
    expect(tf.getBackend()).toBe(BACKEND_UNDER_TEST);
    expect(describeSelfTestFailures(r)).toEqual([]);
    expect(r.ok).toBe(true);
    if (BACKEND_UNDER_TEST === 'wasm') expect(r.ms).toBeLessThan(1000);
    const names = r.checks.map((c) => c.name);
    for (const n of ['conv2d.forward', 'conv2d.dx', 'conv2d.dw', 'conv2d.d2.dw', 'depthwise.s2.dx', 'depthwise.d2.dw', 'maxPool.dx', 'gather.dx']) {
      expect(names).toContain(n);
    }
    for (const c of r.checks) expect(c.maxAbsError).toBeLessThan(1e-4);
  });

  wasmTest('reports a wrong kernel and a throwing kernel without throwing itself', async () => {
    const good = { max: tf.getKernel('MaxPoolGrad', 'wasm'), seg: tf.getKernel('UnsortedSegmentSum', 'wasm') };
    try {
      tf.unregisterKernel('MaxPoolGrad', 'wasm');
      tf.registerKernel({
        kernelName: 'MaxPoolGrad',
        backendName: 'wasm',
        // a plausible-looking but wrong gradient: zeros
        kernelFunc: ({ inputs, backend }) => {
          const input = inputs.input as tf.TensorInfo;
          const b = backend as unknown as { makeOutput(s: number[], d: string): tf.TensorInfo; typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
          const out = b.makeOutput(input.shape, 'float32');
          b.typedArrayFromHeap(out).fill(0);
          return out;
        },
      });
      const before = tf.memory().numTensors;
      const wrong = await backendSelfTest();
      expect(wrong.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['maxPool.dx']);
      expect(tf.memory().numTensors).toBe(before);
      // (a gradient that throws leaves tfjs's saved forward tensors behind: no leak check below)
      tf.unregisterKernel('UnsortedSegmentSum', 'wasm');
      const r = await backendSelfTest();
      expect(r.ok).toBe(false);
      const failed = r.checks.filter((c) => !c.ok);
      expect(failed.map((c) => c.name).sort()).toEqual(['gather', 'maxPool.dx']);
      expect(failed.find((c) => c.name === 'gather')?.error).toMatch(/UnsortedSegmentSum/);
      expect(describeSelfTestFailures(r)).toHaveLength(2);
    } finally {
      tf.unregisterKernel('MaxPoolGrad', 'wasm');
      tf.registerKernel(good.max);
      tf.registerKernel(good.seg);
    }
    expect((await backendSelfTest()).ok).toBe(true);
  });
});
