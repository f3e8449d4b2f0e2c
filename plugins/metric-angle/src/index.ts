import { definePlugin, METRIC } from '@absnas/core';
import { ALL_CUT_MODES, AngleMetric, AngleOptions } from './angle';

export * from './angle';

export const plugin = definePlugin<Partial<AngleOptions>>({
  name: '@absnas/metric-angle',
  apiVersion: '2.0.0',
  kind: 'metric',
  description: 'Angle between a child model\'s base weights W0 and current weights Wt (ABS, Hu et al. 2020).',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      allCut: {
        type: 'string',
        enum: [...ALL_CUT_MODES],
        default: 'zero',
        description:
          "A child whose every path is cut (none everywhere on the way): 'zero' scores it as the worst (angle 0); " +
          "'fixed-parts' gives it the angle of its fixed parts alone, as the reference's tau computation does",
      },
    },
  },
  register(container, options) {
    container.register(METRIC, { useValue: new AngleMetric(options) });
  },
});

export default plugin;
