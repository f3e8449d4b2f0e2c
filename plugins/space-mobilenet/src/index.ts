/**
 * @absnas/space-mobilenet: the MobileNet-style chain spaces of SPOS /
 * ProxylessNAS and FairNAS as an absnas plugin.
 */
import { definePlugin, SEARCH_SPACE } from '@absnas/core';
import { DEFAULT_OPTIONS, MobileNetOptions } from './macro';
import { MobileNetSpace } from './space';

export const plugin = definePlugin<Partial<MobileNetOptions>>({
  name: '@absnas/space-mobilenet',
  apiVersion: '2.0.0',
  kind: 'space',
  description:
    'MobileNet-style chain spaces: SPOS/ProxylessNAS (21 layers, MBConv k3/5/7 x e3/6 + identity) and FairNAS ' +
    '(19 layers, 6 MBConv), with depth-uniform sampling under a FLOPs cap and the chain angle layout',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      variant: {
        type: 'string',
        enum: ['spos', 'fairnas'],
        default: DEFAULT_OPTIONS.variant,
        description: "'spos': the SPOS/ProxylessNAS space (21 layers, identity allowed); 'fairnas': 19 layers, no identity",
      },
      widthMultiplier: {
        type: 'number',
        exclusiveMinimum: 0,
        default: DEFAULT_OPTIONS.widthMultiplier,
        description: 'multiplies every channel count (floored, at least 1)',
      },
      stemStride: {
        type: 'integer',
        enum: [1, 2],
        default: DEFAULT_OPTIONS.stemStride,
        description: 'stride of the stem conv (2 as the reference; 1 keeps small images at full resolution)',
      },
      minFeatureSize: {
        type: 'integer',
        minimum: 1,
        default: DEFAULT_OPTIONS.minFeatureSize,
        description: 'a stride-2 step is taken only if the feature map it produces has at least this side (otherwise stride 1)',
      },
      maxFlops: {
        type: 'number',
        minimum: 0,
        default: DEFAULT_OPTIONS.maxFlops,
        description: 'sampling rejects children above this many FLOPs (multiply-accumulates) at the data\'s input size; 0 = no cap',
      },
    },
  },
  register(container, options) {
    container.register(SEARCH_SPACE, { useValue: new MobileNetSpace(options) });
  },
});

export default plugin;

export { MobileNetSpace } from './space';
export { MobileNetSupernet } from './supernet';
export { MBConv } from './blocks';
export { IDENTITY, MBCONV_OPS, isIdentity, mbconvSpec } from './ops';
export type { MbconvOp, MbconvSpec } from './ops';
export { formatArchitecture, parseArchitecture, validateArchitecture } from './notation';
export { childCost, costTable, mbconvCost } from './cost';
export type { CostTable } from './cost';
export { MAX_SAMPLE_TRIES, minimumFlops, sampleDepthUniform, sampleUnderCap, sampleWithinFlops } from './sampling';
export {
  DEFAULT_OPTIONS,
  VARIANTS,
  blockConvWeights,
  names as paramNames,
  plan,
  resolveOptions,
  scaleChannels,
  skeleton,
} from './macro';
export type { LayerPlan, LayerSpec, MobileNetOptions, Plan, Skeleton, Variant, VariantTable } from './macro';
