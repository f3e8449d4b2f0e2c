import { definePlugin, oneShotOptionsSchema, SEARCHER } from '@absnas/core';
import { SposOptions, SposSearcher } from './spos';

export * from './spos';

export const plugin = definePlugin<SposOptions>({
  name: '@absnas/spos',
  apiVersion: '2.0.0',
  kind: 'searcher',
  description: 'Single Path One-Shot: uniform single-path supernet training, then evolutionary search under a FLOPs limit.',
  schema: oneShotOptionsSchema(false),
  register(container, options) {
    container.register(SEARCHER, { useValue: new SposSearcher(options) });
  },
});

export default plugin;
