import { proxyPlugin } from '@absnas/core';
import { fisherScore } from './fisher';

export * from './fisher';

export const plugin = proxyPlugin({
  name: '@absnas/metric-fisher',
  apiVersion: '2.0.0',
  metric: 'fisher',
  description: "Fisher (Turner et al. 2020) as a zero-cost proxy (Abdelfattah et al. 2021): the channel-wise Fisher information of a child's layer outputs on one batch.",
  batch: { batchSize: 64, augment: true },
  score: (child, round) => fisherScore(child, round.batch!),
});

export default plugin;
