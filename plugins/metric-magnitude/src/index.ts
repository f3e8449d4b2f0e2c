import { definePlugin, METRIC } from '@absnas/core';
import { DEFAULT_MAGNITUDE_OPTIONS, MagnitudeMetric, MagnitudeMetricOptions } from './magnitude';

export * from './magnitude';

export const plugin = definePlugin<Partial<MagnitudeMetricOptions>>({
  name: '@absnas/metric-magnitude',
  apiVersion: '2.0.0',
  kind: 'metric',
  description:
    'DARTS-style architecture weights trained jointly with the supernet (straight-through single path); ' +
    'operator score = softmax(alpha), child score = mean of its operators\' softmax weights.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      learningRate: { type: 'number', exclusiveMinimum: 0, default: DEFAULT_MAGNITUDE_OPTIONS.learningRate, description: 'Adam learning rate of alpha' },
      weightDecay: { type: 'number', minimum: 0, default: DEFAULT_MAGNITUDE_OPTIONS.weightDecay, description: 'L2 weight decay of alpha' },
      beta1: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: DEFAULT_MAGNITUDE_OPTIONS.beta1 },
      beta2: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: DEFAULT_MAGNITUDE_OPTIONS.beta2 },
      initStd: { type: 'number', minimum: 0, default: DEFAULT_MAGNITUDE_OPTIONS.initStd, description: 'standard deviation of the initial alpha' },
    },
  },
  register(container, options) {
    container.register(METRIC, { useValue: new MagnitudeMetric(options) });
  },
});

export default plugin;
