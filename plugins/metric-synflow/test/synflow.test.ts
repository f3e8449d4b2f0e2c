/**
 * synflow against an independent float64 implementation: the published code
 * (zero-cost-nas's compute_synflow_per_weight on a copy without batch norm,
 * in float64) run in PyTorch on the same weights by
 * bench/reference/zero_cost_proxies.py; once as initialised, once with every
 * parameter multiplied by 1024, where synflow (~1e51) is far beyond float32.
 * float32 with the exact power-of-two rescaling against float64: measured
 * relative error below 1e-7.
 */
import { ParamStore, ProxyChild, Rng, tf } from '@absnas/core';
import { metricOf, zeroCostReference } from '../../../test/fixtures/zero-cost';
import { plugin, synflowScore } from '../src';

const FLOAT32_MAX = 3.4028234663852886e38;

describe('synflow', () => {
  const ref = zeroCostReference();

  it('gives the reference score for every child (relative 1e-6), leaving the supernet as it was', async () => {
    await ref().expectReferenceScores(metricOf(plugin, { network: 'supernet' }), 'synflow', 1e-6);
  });

  it('gives the float64 reference where the float32 pass overflows (weights x 1024)', async () => {
    const store = ref().supernet.store;
    const original = await store.read();
    const scale = ref().fixture.synflowScale;
    try {
      for (const [name, v] of store.params) tf.tidy(() => v.assign(tf.mul(v, scale))); // a power of two: exact
      expect(Math.max(...ref().children.map((c) => c.synflowScaled))).toBeGreaterThan(FLOAT32_MAX * 1e10);
      await ref().expectReferenceScores(metricOf(plugin, { network: 'supernet' }), 'synflowScaled', 1e-6);
    } finally {
      store.load(original);
    }
  });

  it('refuses a network that overflows and is not positively homogeneous, rather than rescale it wrongly', async () => {
    const store = new ParamStore(new Rng(0));
    const w = store.constant('w', [12, 1], 1e30, 'kernel');
    // R = (sum of w * x)^3: its gradient overflows float32, and R(x / 2) = R(x) / 8
    const child: ProxyChild = {
      arch: ['x'],
      store,
      params: ['w'],
      kernels: ['w'],
      forward: (x) => tf.pow(tf.matMul(tf.reshape(x, [x.shape[0], 12]), w), 3) as tf.Tensor2D,
    };
    try {
      await expect(synflowScore(child, { height: 2, width: 2, channels: 3, numClasses: 1 })).rejects.toThrow(/not positively homogeneous/);
    } finally {
      store.dispose();
    }
  });

  it('takes no data: its only option is the network', () => {
    expect(Object.keys(plugin.schema.properties as object)).toEqual(['network']);
  });
});
