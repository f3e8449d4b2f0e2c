/**
 * @absnas/space-darts: the DARTS cell search space as an absnas plugin.
 */
import { HOOKS, SEARCH_SPACE, definePlugin } from '@absnas/core';
import { DEFAULT_OPTIONS, DartsOptions } from './macro';
import { mirrorDrops, tieCellScores } from './sampling';
import { DartsSpace } from './space';

const NAME = '@absnas/space-darts';

const int = (def: number, description: string) => ({ type: 'integer', minimum: 1, default: def, description });

export const plugin = definePlugin<Partial<DartsOptions>>({
  name: NAME,
  apiVersion: '2.0.0',
  kind: 'space',
  description:
    'DARTS cell space (8 operators, 4 intermediate nodes, 14 edges; normal and reduction cells, 28 choice points) with its ' +
    'weight-sharing supernet (single path and DARTS mixed operators), genotypes, the 16-path angle layout, and standalone networks',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      channels: int(DEFAULT_OPTIONS.channels, 'C of the search supernet (channels of a node in the first cells)'),
      layers: int(DEFAULT_OPTIONS.layers, 'cells of the search supernet; reduction cells at layers/3 and 2*layers/3'),
      stemMultiplier: int(DEFAULT_OPTIONS.stemMultiplier, 'stem channels = stemMultiplier x C'),
      networkChannels: int(DEFAULT_OPTIONS.networkChannels, 'C of the standalone network that cost() counts and absnas train builds'),
      networkLayers: int(DEFAULT_OPTIONS.networkLayers, 'cells of that standalone network'),
      init: {
        type: 'string',
        enum: ['pytorch', 'kaiming'],
        default: DEFAULT_OPTIONS.init,
        description:
          "initialisation of the supernet's conv and linear layers: 'pytorch' (PyTorch's defaults, U(+-1/sqrt(fan_in))) or 'kaiming' (the ABS DARTS shrinking reference: conv kernels kaiming_uniform_, U(+-sqrt(6/fan_in)); classifier N(0, 0.01), bias 0)",
      },
      sampling: {
        type: 'string',
        enum: ['pairs', 'check-cand'],
        default: DEFAULT_OPTIONS.sampling,
        description:
          "how a child (for training and scoring) draws its cell, copied to both cell types: 'pairs' (every node takes two inputs uniform over the pairs of edges with a real operator left, each a uniform real operator; an operator scored is held inside that rule) or 'check-cand' (the ABS DARTS reference: every edge draws a uniform op of its list, then every node is made to have exactly two non-none inputs, an edge turning absent even where 'none' was dropped; the scored operator is set afterwards)",
      },
      affine: {
        type: 'boolean',
        default: DEFAULT_OPTIONS.affine,
        description:
          "batch norms of the search supernet's cells (preprocessing, operators, the BN after pooling) with learnt scale and shift, as the ABS DARTS shrinking reference builds them; false: without, as DARTS's search cells",
      },
    },
  },
  register(container, options) {
    container.register(SEARCH_SPACE, { useValue: new DartsSpace(options) });
    // ABS: the normal and reduction cells share their shrunk lists; `none` (edge absent) is dropped only if the policy says so
    if (container.isRegistered(HOOKS, true)) {
      const hooks = container.resolve(HOOKS);
      hooks.tap('onOperatorScores', NAME, (scores, ctx) => tieCellScores(scores, ctx.candidates, ctx.policy?.dropAbsent), 'post');
      hooks.tap('onDropList', NAME, (drops, ctx) => mirrorDrops(drops, ctx.candidates, ctx.policy?.dropAbsent), 'post');
    }
  },
});

export default plugin;

export { DartsSpace } from './space';
export { DartsSupernet } from './supernet';
export { DartsNetwork, resolveNetworkOptions } from './network';
export type { NetworkOptions } from './network';
export { EdgeOps, FixedCell, SearchCell, edgeStride, nodeLiveness } from './cell';
export { DilConv, FactorizedReduce, Identity, Pool, ReluConvBn, SepConv, avgPool3x3, createOp, dropPath, dropout, maxPool3x3, subsample } from './ops';
export { CELLS_FORM, GENOTYPE_FORM, formatArchitecture, isGenotype, parseArchitecture, validateArchitecture } from './genotype';
export { dartsCost, opCost } from './cost';
export type { NetworkShape } from './cost';
export { cellSegments, dartsWeightLayout, fixedParamNames, opSegments } from './weight-layout';
export { deriveArchitecture, listsShared, mirrorDrops, sampleArchitecture, tieCellScores } from './sampling';
export { DEFAULT_OPTIONS, isReduction, macroPlan, names as paramNames, resolveOptions } from './macro';
export type { CellPlan, DartsOptions, MacroPlan } from './macro';
export * from './topology';
