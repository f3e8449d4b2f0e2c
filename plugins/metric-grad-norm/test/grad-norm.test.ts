/**
 * grad-norm against an independent float64 implementation: the published
 * code (zero-cost-nas's get_grad_norm_arr) run in PyTorch on the same weights
 * and images by bench/reference/zero_cost_proxies.py (see test/fixtures/zero-cost.ts).
 * float32 against float64: measured relative error below 3e-7.
 */
import { metricOf, zeroCostReference } from '../../../test/fixtures/zero-cost';
import { plugin } from '../src';

describe('grad-norm', () => {
  const ref = zeroCostReference();

  it('gives the reference score for every child (relative 1e-6), leaving the supernet as it was', async () => {
    await ref().expectReferenceScores(metricOf(plugin, { network: 'supernet', batchSize: ref().batchSize, augment: false }), 'gradNorm', 1e-6, 1e-12);
  });

  it('declares the reference batch of 64 augmented images and the fresh network by default', () => {
    expect(plugin.schema.properties).toMatchObject({
      network: { default: 'fresh' },
      batchSize: { default: 64 },
      augment: { default: true },
    });
  });
});
