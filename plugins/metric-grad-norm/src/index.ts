import { proxyPlugin } from '@absnas/core';
import { gradNormScore } from './grad-norm';

export * from './grad-norm';

export const plugin = proxyPlugin({
  name: '@absnas/metric-grad-norm',
  apiVersion: '2.0.0',
  metric: 'grad-norm',
  description: "grad_norm zero-cost proxy (Abdelfattah et al. 2021): the sum over a child's conv and linear kernels of the norm of the loss gradient on one batch.",
  // the batch of the zero-cost proxies' code: 64 training images with crop and flip
  batch: { batchSize: 64, augment: true },
  score: (child, round) => gradNormScore(child, round.batch!),
});

export default plugin;
