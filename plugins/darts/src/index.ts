import { DARTS_ARCHITECTURE_OPTIMIZER, SEARCHER, architectureOptimizerSchema, definePlugin, trainConfigSchemaWithDefaults } from '@absnas/core';
import { DartsOptions, DartsSearcher } from './darts';

export * from './darts';

/** The DARTS search recipe (train_search.py of the DARTS code). */
export const DARTS_TRAIN_DEFAULTS = {
  batchSize: 64,
  learningRate: 0.025,
  minLearningRate: 0.001,
  schedule: 'cosine',
  momentum: 0.9,
  nesterov: false,
  weightDecay: 3e-4,
  gradientClip: 5,
} as const;

export const plugin = definePlugin<DartsOptions>({
  name: '@absnas/darts',
  apiVersion: '2.0.0',
  kind: 'searcher',
  description:
    'DARTS: bilevel optimisation of a mixture supernet (weights by SGD on training batches, architecture weights by Adam on ' +
    'validation batches, first or second order); the final child derived by the space. Needs a space with forwardMixture.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      epochs: { type: 'integer', minimum: 0, default: 50, description: 'search epochs' },
      order: { type: 'integer', enum: [1, 2], default: 2, description: '1: first-order DARTS; 2: second order (unrolled)' },
      train: trainConfigSchemaWithDefaults(DARTS_TRAIN_DEFAULTS),
      architecture: architectureOptimizerSchema(DARTS_ARCHITECTURE_OPTIMIZER),
      recalibrationBatches: {
        type: 'integer',
        minimum: 0,
        default: 10,
        description: "BN recalibration batches before the derived child's test accuracy with inherited weights (0 = skip)",
      },
      evalBatchSize: { type: 'integer', minimum: 1, default: 256 },
    },
  },
  register(container, options) {
    container.register(SEARCHER, { useValue: new DartsSearcher(options) });
  },
});

export default plugin;
