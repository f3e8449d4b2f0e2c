import { definePlugin, SEARCHER, trainConfigSchema } from '@absnas/core';
import { FairnasOptions, FairnasSearcher } from './fairnas';

export * from './fairnas';

export const plugin = definePlugin<FairnasOptions>({
  name: '@absnas/fairnas',
  apiVersion: '1.0.0',
  kind: 'searcher',
  description:
    'FairNAS: strictly fair supernet training (every candidate of every layer once per step, gradients summed, ' +
    'one SGD step), then evolutionary search within a FLOPs window. Chain spaces only.',
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
      minFlops: { type: 'number', minimum: 0, default: 0, description: 'reject children below this many FLOPs (0 = no bound)' },
      maxFlops: { type: 'number', minimum: 0, default: 0, description: 'reject children above this many FLOPs (0 = no bound)' },
      recalibrationBatches: { type: 'integer', minimum: 0, default: 20 },
      evalBatchSize: { type: 'integer', minimum: 1, default: 256 },
    },
  },
  register(container, options) {
    container.register(SEARCHER, { useValue: new FairnasSearcher(options) });
  },
});

export default plugin;
