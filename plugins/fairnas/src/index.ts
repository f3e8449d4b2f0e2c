import { definePlugin, oneShotOptionsSchema, SEARCHER } from '@absnas/core';
import { FairnasOptions, FairnasSearcher } from './fairnas';

export * from './fairnas';

export const plugin = definePlugin<FairnasOptions>({
  name: '@absnas/fairnas',
  apiVersion: '2.0.0',
  kind: 'searcher',
  description:
    'FairNAS: strictly fair supernet training (every candidate of every layer once per step, gradients summed, ' +
    'one SGD step), then evolutionary search within a FLOPs window. Chain spaces only.',
  schema: oneShotOptionsSchema(true),
  register(container, options) {
    container.register(SEARCHER, { useValue: new FairnasSearcher(options) });
  },
});

export default plugin;
