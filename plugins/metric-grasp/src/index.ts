import { proxyPlugin } from '@absnas/core';
import { graspScore } from './grasp';

export * from './grasp';

export const plugin = proxyPlugin({
  name: '@absnas/metric-grasp',
  apiVersion: '2.0.0',
  metric: 'grasp',
  description: "GraSP (Wang et al. 2020) as a zero-cost proxy (Abdelfattah et al. 2021): -w * Hg summed over a child's conv and linear kernels on one batch.",
  batch: { batchSize: 64, augment: true },
  score: (child, round) => graspScore(child, round.batch!),
});

export default plugin;
