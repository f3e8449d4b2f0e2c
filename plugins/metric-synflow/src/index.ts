import { proxyPlugin } from '@absnas/core';
import { synflowScore } from './synflow';

export * from './synflow';

export const plugin = proxyPlugin({
  name: '@absnas/metric-synflow',
  apiVersion: '2.0.0',
  metric: 'synflow',
  description:
    "synflow (Tanaka et al. 2020) as a zero-cost proxy (Abdelfattah et al. 2021): the sum of |w * dR/dw| over a child's kernels, R the summed output of the network with absolute weights and no batch norm on an all-ones image.",
  // no data: one all-ones image of the data's shape
  score: (child, round) => synflowScore(child, round.input),
});

export default plugin;
