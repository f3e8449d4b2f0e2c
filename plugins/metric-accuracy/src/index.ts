import { definePlugin, METRIC } from '@absnas/core';
import { AccuracyMetric, AccuracyMetricOptions, DEFAULT_ACCURACY_OPTIONS } from './accuracy';

export * from './accuracy';

export const plugin = definePlugin<Partial<AccuracyMetricOptions>>({
  name: '@absnas/metric-accuracy',
  apiVersion: '2.0.0',
  kind: 'metric',
  description:
    "A child's top-1 on validation images with inherited supernet weights, with or without batch-norm recalibration.",
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      recalibrate: {
        type: 'boolean',
        default: DEFAULT_ACCURACY_OPTIONS.recalibrate,
        description: 'recompute batch-norm statistics for each child on training batches before evaluating it',
      },
      recalibrationBatches: {
        type: 'integer',
        minimum: 1,
        default: DEFAULT_ACCURACY_OPTIONS.recalibrationBatches,
        description: 'training batches used to recalibrate (the same batches for every child of a round)',
      },
      batchSize: {
        type: 'integer',
        minimum: 1,
        default: DEFAULT_ACCURACY_OPTIONS.batchSize,
        description: 'images per batch, for recalibration and evaluation',
      },
      valImages: {
        type: 'integer',
        minimum: 0,
        default: DEFAULT_ACCURACY_OPTIONS.valImages,
        description: 'validation images evaluated (0 = the whole validation split)',
      },
    },
  },
  register(container, options) {
    container.register(METRIC, { useValue: new AccuracyMetric(options) });
  },
});

export default plugin;
