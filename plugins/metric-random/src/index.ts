import { definePlugin, METRIC } from '@absnas/core';
import { RandomMetric, RandomMetricOptions } from './random';

export * from './random';

export const plugin = definePlugin<RandomMetricOptions>({
  name: '@absnas/metric-random',
  apiVersion: '2.0.0',
  kind: 'metric',
  description: 'A seeded random score per child model: the floor that any metric must beat.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      seed: {
        type: 'integer',
        minimum: 0,
        maximum: 4294967295,
        default: 0,
        description: 'mixed into every score (with one number drawn per scoring round from the run)',
      },
    },
  },
  register(container, options) {
    container.register(METRIC, { useValue: new RandomMetric({ seed: options.seed ?? 0 }) });
  },
});

export default plugin;
