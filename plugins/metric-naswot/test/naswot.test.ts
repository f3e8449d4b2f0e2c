/**
 * NASWOT against an independent float64 implementation: Mellor et al.'s
 * hooks on the ReLU modules and numpy's slogdet, run in PyTorch on the same
 * weights and images by bench/reference/zero_cost_proxies.py. The kernel is
 * a sum of integer counts, exact in both, so the scores agree to float64
 * rounding (relative 1e-12); a child with every path cut has a singular
 * kernel (-Infinity) in both.
 */
import { PluginError, ParamStore, ProxyChild, Rng, tf } from '@absnas/core';
import { metricOf, zeroCostReference } from '../../../test/fixtures/zero-cost';
import { logAbsDet, naswotScore, plugin, reluCodeKernel } from '../src';

describe('naswot', () => {
  const ref = zeroCostReference();

  it('gives the reference score for every child (relative 1e-12), leaving the supernet as it was', async () => {
    const scores = await ref().expectReferenceScores(metricOf(plugin, { network: 'supernet', batchSize: ref().batchSize }), 'naswot', 1e-12);
    expect(scores.filter((s) => s === -Infinity)).toHaveLength(1);
  });

  it('sees as many ReLUs as the reference hooks', async () => {
    const x = tf.tensor4d(ref().data.train.images, [ref().batchSize, 8, 8, 3]);
    try {
      for (const c of ref().children) {
        const arch = ref().space.parse(c.arch);
        const child: ProxyChild = {
          arch,
          store: ref().supernet.store,
          params: [],
          kernels: [],
          forward: (input, mode) => ref().supernet.forward(input, arch, mode),
        };
        const { kernel, activations } = await reluCodeKernel(child, { x, y: x as never, labels: new Int32Array(0), size: ref().batchSize });
        expect(activations).toBe(c.relus);
        // every diagonal entry is the number of units N_A
        expect(new Set(Array.from({ length: ref().batchSize }, (_, i) => kernel[i * ref().batchSize + i])).size).toBe(1);
      }
    } finally {
      x.dispose();
    }
  });

  it('takes log |det| by LU with pivoting: hand-computed cases', () => {
    expect(logAbsDet(Float64Array.from([4, 2, 2, 3]), 2)).toBeCloseTo(Math.log(8), 14);
    expect(logAbsDet(Float64Array.from([0, 2, 3, 0]), 2)).toBeCloseTo(Math.log(6), 14); // needs the row swap
    expect(logAbsDet(Float64Array.from([2, 0, 0, 0, -3, 0, 0, 0, 0.5]), 3)).toBeCloseTo(Math.log(3), 14);
    expect(logAbsDet(Float64Array.from([1, 2, 2, 4]), 2)).toBe(-Infinity);
  });

  it('says so when a network runs no probe-visible activation', async () => {
    const store = new ParamStore(new Rng(0));
    const w = store.constant('w', [3, 2], 1, 'kernel');
    const child: ProxyChild = {
      arch: ['x'],
      store,
      params: ['w'],
      kernels: ['w'],
      forward: (x) => tf.relu(tf.matMul(tf.reshape(x, [x.shape[0], 3]), w)) as tf.Tensor2D, // tf.relu, not core's relu
    };
    const x = tf.ones([4, 1, 1, 3]) as tf.Tensor4D;
    try {
      await expect(naswotScore(child, { x, y: x as never, labels: new Int32Array(0), size: 4 }, 'toy')).rejects.toThrow(PluginError);
    } finally {
      x.dispose();
      store.dispose();
    }
  });

  it("uses Mellor et al.'s batch of 128 unaugmented images by default", () => {
    expect(plugin.schema.properties).toEqual({
      network: expect.objectContaining({ default: 'fresh' }),
      batchSize: expect.objectContaining({ default: 128 }),
    });
  });
});
