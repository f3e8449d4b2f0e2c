import { proxyPlugin } from '@absnas/core';
import { snipScore } from './snip';

export * from './snip';

export const plugin = proxyPlugin({
  name: '@absnas/metric-snip',
  apiVersion: '2.0.0',
  metric: 'snip',
  description: "SNIP (Lee et al. 2019) as a zero-cost proxy (Abdelfattah et al. 2021): the sum of |w * dL/dw| over a child's conv and linear kernels on one batch.",
  batch: { batchSize: 64, augment: true },
  score: (child, round) => snipScore(child, round.batch!),
});

export default plugin;
