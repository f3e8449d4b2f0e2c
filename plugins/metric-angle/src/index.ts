import { definePlugin, METRIC } from '@absnas/core';
import { AngleMetric } from './angle';

export * from './angle';

export const plugin = definePlugin<Record<string, never>>({
  name: '@absnas/metric-angle',
  apiVersion: '2.0.0',
  kind: 'metric',
  description: 'Angle between a child model\'s base weights W0 and current weights Wt (ABS, Hu et al. 2020).',
  schema: { type: 'object', additionalProperties: false, properties: {} },
  register(container) {
    container.register(METRIC, { useValue: new AngleMetric() });
  },
});

export default plugin;
