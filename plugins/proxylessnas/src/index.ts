import { ConfigError, definePlugin, SEARCHER, trainConfigSchema } from '@absnas/core';
import { ProxylessOptions, ProxylessSearcher } from './proxyless';

export * from './proxyless';
export * from './gates';
export * from './cost-model';

export const plugin = definePlugin<ProxylessOptions>({
  name: '@absnas/proxylessnas',
  apiVersion: '2.0.0',
  kind: 'searcher',
  description: 'ProxylessNAS: binary gates over sampled paths, architecture weights learned with Adam under a FLOPs or latency regulariser.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      epochs: { type: 'integer', minimum: 0, default: 120, description: 'supernet epochs, warm-up included' },
      warmupEpochs: { type: 'integer', minimum: 0, default: 40 },
      train: { ...trainConfigSchema, default: {} },
      arch: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          learningRate: { type: 'number', exclusiveMinimum: 0, default: 1e-3 },
          beta1: { type: 'number', minimum: 0, maximum: 0.999999, default: 0 },
          beta2: { type: 'number', minimum: 0, maximum: 0.999999, default: 0.999 },
          eps: { type: 'number', exclusiveMinimum: 0, default: 1e-8 },
          weightDecay: { type: 'number', minimum: 0, default: 0 },
          batchSize: { type: 'integer', minimum: 1, default: 64 },
        },
      },
      target: {
        type: 'object',
        additionalProperties: false,
        required: ['value'],
        properties: {
          metric: { type: 'string', enum: ['flops', 'latency'], default: 'flops' },
          value: { type: 'number', exclusiveMinimum: 1, description: 'target FLOPs (a count) or latency (ms)' },
          latencyTable: { type: 'string', minLength: 1, description: 'a table from absnas latency-table (metric latency)' },
        },
      },
      regularizer: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          kind: { type: 'string', enum: ['mul#log', 'none'], default: 'mul#log' },
          alpha: { type: 'number', exclusiveMinimum: 0, default: 0.2 },
          beta: { type: 'number', minimum: 0, default: 0.3 },
        },
      },
      recalibrationBatches: { type: 'integer', minimum: 0, default: 20 },
      evalBatchSize: { type: 'integer', minimum: 1, default: 256 },
    },
    required: ['target'],
  },
  register(container, options) {
    if (options.warmupEpochs > options.epochs) {
      throw new ConfigError(`/search/options/warmupEpochs: proxylessnas: warmupEpochs (${options.warmupEpochs}) exceeds epochs (${options.epochs})`);
    }
    container.register(SEARCHER, { useValue: new ProxylessSearcher(options) });
  },
});

export default plugin;
