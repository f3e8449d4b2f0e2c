/**
 * SNIP against an independent float64 implementation: the published code
 * (zero-cost-nas's compute_snip_per_weight, through its weight masks) run in
 * PyTorch on the same weights and images by bench/reference/zero_cost_proxies.py.
 * float32 against float64: measured relative error below 3e-7.
 */
import { metricOf, zeroCostReference } from '../../../test/fixtures/zero-cost';
import { plugin } from '../src';

describe('snip', () => {
  const ref = zeroCostReference();

  it('gives the reference score for every child (relative 1e-6), leaving the supernet as it was', async () => {
    await ref().expectReferenceScores(metricOf(plugin, { network: 'supernet', batchSize: ref().batchSize, augment: false }), 'snip', 1e-6, 1e-12);
  });
});
