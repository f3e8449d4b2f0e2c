import type { TrainConfig } from '../config/types';

/**
 * Learning rate at `progress` in [0, 1] of a phase: cosine annealing (as
 * PyTorch's CosineAnnealingLR), linear decay, or constant, from
 * learningRate down to minLearningRate.
 */
export function learningRateAt(cfg: Pick<TrainConfig, 'learningRate' | 'minLearningRate' | 'schedule'>, progress: number): number {
  const t = Math.min(Math.max(progress, 0), 1);
  const { learningRate: hi, minLearningRate: lo } = cfg;
  switch (cfg.schedule) {
    case 'cosine':
      return lo + ((hi - lo) * (1 + Math.cos(Math.PI * t))) / 2;
    case 'linear':
      return hi + (lo - hi) * t;
    case 'constant':
      return hi;
  }
}
