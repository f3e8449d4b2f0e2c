/**
 * Fisher against an independent float64 implementation: the published code
 * (zero-cost-nas's compute_fisher_per_weight with its backward hooks, channel
 * values broadcast over the channel's weights) run in PyTorch on the same
 * weights and images by bench/reference/zero_cost_proxies.py.
 * float32 against float64: measured relative error below 7e-7.
 */
import { metricOf, zeroCostReference } from '../../../test/fixtures/zero-cost';
import { plugin } from '../src';

describe('fisher', () => {
  const ref = zeroCostReference();

  it('gives the reference score for every child (relative 2e-6), leaving the supernet as it was', async () => {
    const scores = await ref().expectReferenceScores(metricOf(plugin, { network: 'supernet', batchSize: ref().batchSize, augment: false }), 'fisher', 2e-6);
    // with every path cut only the classifier counts (its output is its bias): still above 0, as in the reference
    const cut = ref().children.findIndex((c) => c.arch === '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|');
    expect(scores[cut]).toBeGreaterThan(0);
  });
});
