import { SEARCHER, architectureOptimizerSchema, definePlugin, trainConfigSchemaWithDefaults } from '@absnas/core';
import { PdartsOptions, PdartsSearcher } from './pdarts';

export * from './pdarts';

/** The PDARTS search recipe on CIFAR-10 (train_search.py of the PDARTS code). */
export const PDARTS_TRAIN_DEFAULTS = {
  batchSize: 96,
  learningRate: 0.025,
  minLearningRate: 0,
  schedule: 'cosine',
  momentum: 0.9,
  nesterov: false,
  weightDecay: 3e-4,
  gradientClip: 5,
} as const;

const stageSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    epochs: { type: 'integer', minimum: 0, default: 25 },
    warmupEpochs: { type: 'integer', minimum: 0, default: 10, description: 'first epochs with alpha frozen' },
    space: { type: 'object', default: {}, description: "space options of this stage's supernet (e.g. { layers: 11 })" },
    keep: { type: 'integer', minimum: 1, default: 1, description: 'candidates each choice point keeps after the stage' },
    skipDropout: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0, description: 'dropout rate on skip-connections' },
  },
};

export const plugin = definePlugin<PdartsOptions>({
  name: '@absnas/pdarts',
  apiVersion: '2.0.0',
  kind: 'searcher',
  description:
    'Progressive DARTS: stages of bilevel search on deeper supernets, keeping the strongest candidates between stages, ' +
    'dropout on skip-connections, at most maxSkip skip-connections in the final normal cell. Needs a space with forwardMixture.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      stages: {
        type: 'array',
        minItems: 1,
        items: stageSchema,
        default: [
          { epochs: 25, warmupEpochs: 10, space: { layers: 5 }, keep: 5, skipDropout: 0.1 },
          { epochs: 25, warmupEpochs: 10, space: { layers: 11 }, keep: 3, skipDropout: 0.4 },
          { epochs: 25, warmupEpochs: 10, space: { layers: 17 }, keep: 1, skipDropout: 0.7 },
        ],
        description: 'the stages, in order (PDARTS CIFAR-10: 5, 11, 17 cells; keep 5, 3; skip dropout 0.1, 0.4, 0.7)',
      },
      order: { type: 'integer', enum: [1, 2], default: 1 },
      train: trainConfigSchemaWithDefaults(PDARTS_TRAIN_DEFAULTS),
      architecture: architectureOptimizerSchema({ learningRate: 6e-4, gradientClip: 5 }),
      dropoutOps: { type: 'array', items: { type: 'string' }, default: ['skip_connect'] },
      dropoutDecay: { type: 'number', minimum: 0, default: 0.2 },
      maxSkip: { type: 'integer', default: 2, description: 'skip-connections allowed in the final child (negative: no limit)' },
      skipOp: { type: 'string', default: 'skip_connect' },
      skipScope: { type: 'string', default: 'normal:', description: "choice-point id prefix of the restricted cell ('' or no match: all)" },
      noneOp: { type: 'string', default: 'none' },
      recalibrationBatches: { type: 'integer', minimum: 0, default: 10 },
      evalBatchSize: { type: 'integer', minimum: 1, default: 256 },
    },
  },
  register(container, options) {
    container.register(SEARCHER, { useValue: new PdartsSearcher(options) });
  },
});

export default plugin;
