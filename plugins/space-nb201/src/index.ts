/**
 * @absnas/space-nb201: the NAS-Bench-201 cell search space as an absnas plugin.
 */
import { SEARCH_SPACE, definePlugin } from '@absnas/core';
import { DEFAULT_OPTIONS, Nb201Options } from './macro';
import { SAMPLING_MODES } from './sampling';
import { Nb201Space } from './space';

export const plugin = definePlugin<Partial<Nb201Options>>({
  name: '@absnas/space-nb201',
  apiVersion: '2.0.0',
  kind: 'space',
  description:
    'NAS-Bench-201 cell space (4 nodes, 6 edges, 5 operators) with its weight-sharing supernet, ' +
    'standalone params/FLOPs as in the benchmark records, and the path-based angle weight layout',
  schema: {
    type: 'object',
    properties: {
      channels: {
        type: 'integer',
        minimum: 1,
        default: DEFAULT_OPTIONS.channels,
        description: 'Channels of the first stage (C); stages have C, 2C, 4C',
      },
      cellsPerStage: {
        type: 'integer',
        minimum: 1,
        default: DEFAULT_OPTIONS.cellsPerStage,
        description: 'Search cells per stage (N)',
      },
      sampling: {
        type: 'string',
        enum: [...SAMPLING_MODES],
        default: DEFAULT_OPTIONS.sampling,
        description:
          "How single-path training draws operators: 'shared' (one child for all cells, uniform per edge) or 'per-cell' " +
          "(the reference's training: every cell draws its own on every step, each node redrawing its incoming edges while all are 'none'). " +
          'Children are scored as shared by all cells either way',
      },
    },
    additionalProperties: false,
  },
  register(container, options) {
    container.register(SEARCH_SPACE, { useValue: new Nb201Space(options) });
  },
});

export default plugin;

export { Nb201Space } from './space';
export { Nb201Supernet } from './supernet';
export { SearchCell } from './cell';
export { EdgeOps, ReluConvBn, avgPool3x3 } from './ops';
export { ResidualReduction } from './reduction';
export { ARCH_STRING_FORM, formatArchString, parseArchString, validateArchitecture } from './arch-string';
export { nb201Cost } from './cost';
export { SAMPLING_MODES, sampleCellRedraw, samplePerCell } from './sampling';
export type { Nb201Sampling } from './sampling';
export { fixedParamNames, nb201WeightLayout } from './weight-layout';
export { DEFAULT_OPTIONS, names as paramNames, resolveOptions, stageChannels, stageShapes } from './macro';
export type { Nb201Options, StageShape } from './macro';
export { CONV_OPS, EDGES, NB201_OPS, PATHS, edgeIndex, isConv, liveEdges, livePaths } from './topology';
export type { Edge, Nb201Op } from './topology';
