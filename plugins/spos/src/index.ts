import { definePlugin, SEARCHER, trainConfigSchema } from '@absnas/core';
import { SposOptions, SposSearcher } from './spos';

export * from './spos';

export const plugin = definePlugin<SposOptions>({
  name: '@absnas/spos',
  apiVersion: '1.0.0',
  kind: 'searcher',
  description: 'Single Path One-Shot: uniform single-path supernet training, then evolutionary search under a FLOPs limit.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      epochs: { type: 'integer', minimum: 0, default: 10 },
      train: { ...trainConfigSchema, default: {} },
      evolution: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          population: { type: 'integer', minimum: 1, default: 50 },
          iterations: { type: 'integer', minimum: 1, default: 20 },
          topK: { type: 'integer', minimum: 1, default: 10 },
          crossovers: { type: 'integer', minimum: 0, default: 25 },
          mutations: { type: 'integer', minimum: 0, default: 25 },
          mutationProbability: { type: 'number', minimum: 0, maximum: 1, default: 0.1 },
        },
      },
      maxFlops: { type: 'number', minimum: 0, default: 0 },
      recalibrationBatches: { type: 'integer', minimum: 0, default: 20 },
      evalBatchSize: { type: 'integer', minimum: 1, default: 256 },
    },
  },
  register(container, options) {
    container.register(SEARCHER, { useValue: new SposSearcher(options) });
  },
});

export default plugin;
