import { proxyPlugin } from '@absnas/core';
import { naswotScore } from './naswot';

export * from './naswot';

export const plugin = proxyPlugin({
  name: '@absnas/metric-naswot',
  apiVersion: '2.0.0',
  metric: 'naswot',
  description: "NASWOT (Mellor et al. 2021): log |det K_H| of the Hamming-similarity kernel of a child's ReLU codes over one batch.",
  // Mellor et al.'s batch: 128 training images, no augmentation
  batch: { batchSize: 128 },
  score: (child, round) => naswotScore(child, round.batch!, round.space.name),
});

export default plugin;
