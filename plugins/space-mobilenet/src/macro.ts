/**
 * The macro skeleton of the MobileNet-style chain spaces, shared by the
 * supernet, the cost counter and the angle layout so that the three agree on
 * channels, strides, feature-map sizes and parameter names.
 *
 * SPOS / ProxylessNAS space (ABS reference, GPU setting; 224x224 input):
 *
 * | part              | in -> out   | stride | map (in) | candidates             |
 * | ----------------- | ----------- | ------ | -------- | ---------------------- |
 * | stem conv 3x3     | 3 -> 40     | 2      | 224      | fixed (conv, BN, ReLU6)|
 * | first block       | 40 -> 24    | 1      | 112      | fixed MBConv k3 e1     |
 * | layer 0           | 24 -> 32    | 2      | 112      | 6 MBConv               |
 * | layers 1-3        | 32 -> 32    | 1      | 56       | 6 MBConv + identity    |
 * | layer 4           | 32 -> 56    | 2      | 56       | 6 MBConv               |
 * | layers 5-7        | 56 -> 56    | 1      | 28       | 6 MBConv + identity    |
 * | layer 8           | 56 -> 112   | 2      | 28       | 6 MBConv               |
 * | layers 9-11       | 112 -> 112  | 1      | 14       | 6 MBConv + identity    |
 * | layer 12          | 112 -> 128  | 1      | 14       | 6 MBConv               |
 * | layers 13-15      | 128 -> 128  | 1      | 14       | 6 MBConv + identity    |
 * | layer 16          | 128 -> 256  | 2      | 14       | 6 MBConv               |
 * | layers 17-19      | 256 -> 256  | 1      | 7        | 6 MBConv + identity    |
 * | layer 20          | 256 -> 432  | 1      | 7        | 6 MBConv               |
 * | final conv 1x1    | 432 -> 1728 | 1      | 7        | fixed (conv, BN, ReLU6)|
 * | pool + classifier | 1728 -> K   |        | 7        | fixed (linear + bias)  |
 *
 * 21 searchable layers: 6 candidates in the 6 layers that open a stage
 * (their channels change), 7 in the other 15 (identity allowed where the
 * stride is 1 and the channels are equal): 6^6 * 7^15 ~ 2.2e17 children.
 *
 * FairNAS space (ABS reference): stem 3x3 stride 2 to 32, first block
 * MBConv k3 e1 32 -> 16, then stages (channels, layers, stride) (32, 2, 2),
 * (40, 4, 2), (80, 4, 2), (96, 4, 1), (192, 4, 2), (320, 1, 1), final 1x1
 * conv to 1280: 19 layers of 6 MBConv candidates each, no identity
 * (6^19 ~ 6.1e14 children).
 */
import { ConfigError, InputSpec } from '@absnas/core';
import { IDENTITY, MBCONV_OPS } from './ops';

export type Variant = 'spos' | 'fairnas';

export interface MobileNetOptions {
  variant: Variant;
  /**
   * Multiplies every channel count (stem, first block, stages, final conv),
   * floored, at least 1. Choice: the final conv is scaled too (the reference
   * keeps 1728 / 1280 for multipliers up to 1), so that small widths are small.
   */
  widthMultiplier: number;
  /** Stride of the stem conv: 2 as the reference (ImageNet), 1 keeps the full resolution for small images. */
  stemStride: 1 | 2;
  /**
   * Resolution-aware stride plan: a stride-2 step (the stem and the first
   * layer of a stage) is taken only if the feature map it produces has a
   * side of at least this; otherwise that layer keeps stride 1. With the
   * default 4: 224 -> 112, 56, 28, 14, 7 (the reference plan); 32 (CIFAR) ->
   * 16, 8, 4 then stride 1; 28 (MNIST) -> 14, 7, 4 then stride 1.
   */
  minFeatureSize: number;
  /** Sampling rejects children above this many FLOPs (multiply-accumulates); 0 = no cap. */
  maxFlops: number;
}

export const DEFAULT_OPTIONS: MobileNetOptions = {
  variant: 'spos',
  widthMultiplier: 1,
  stemStride: 2,
  minFeatureSize: 4,
  maxFlops: 0,
};

interface StageSpec {
  channels: number;
  layers: number;
  stride: number;
}

export interface VariantTable {
  stem: number;
  first: number;
  stages: StageSpec[];
  last: number;
  /** Identity is a candidate of the layers that do not open a stage. */
  identity: boolean;
}

export const VARIANTS: Record<Variant, VariantTable> = {
  spos: {
    stem: 40,
    first: 24,
    stages: [
      { channels: 32, layers: 4, stride: 2 },
      { channels: 56, layers: 4, stride: 2 },
      { channels: 112, layers: 4, stride: 2 },
      { channels: 128, layers: 4, stride: 1 },
      { channels: 256, layers: 4, stride: 2 },
      { channels: 432, layers: 1, stride: 1 },
    ],
    last: 1728,
    identity: true,
  },
  fairnas: {
    stem: 32,
    first: 16,
    stages: [
      { channels: 32, layers: 2, stride: 2 },
      { channels: 40, layers: 4, stride: 2 },
      { channels: 80, layers: 4, stride: 2 },
      { channels: 96, layers: 4, stride: 1 },
      { channels: 192, layers: 4, stride: 2 },
      { channels: 320, layers: 1, stride: 1 },
    ],
    last: 1280,
    identity: false,
  },
};

/** A searchable layer, independent of the input size. */
export interface LayerSpec {
  index: number;
  cin: number;
  cout: number;
  /** The reference stride (the plan may turn a 2 into 1 for small inputs). */
  nominalStride: number;
  /** Opens a stage: channels change, identity is not a candidate. */
  opensStage: boolean;
  candidates: string[];
}

/** The whole network's channel layout for the options. */
export interface Skeleton {
  stem: number;
  first: number;
  last: number;
  layers: LayerSpec[];
}

/** Options with defaults applied, validated. */
export function resolveOptions(options: Partial<MobileNetOptions> | undefined): MobileNetOptions {
  const o = { ...DEFAULT_OPTIONS, ...(options ?? {}) };
  if (!(o.variant in VARIANTS)) {
    throw new ConfigError(`space-mobilenet: option 'variant' must be one of ${Object.keys(VARIANTS).join(', ')}, got ${JSON.stringify(o.variant)}`);
  }
  if (!(typeof o.widthMultiplier === 'number' && o.widthMultiplier > 0 && Number.isFinite(o.widthMultiplier))) {
    throw new ConfigError(`space-mobilenet: option 'widthMultiplier' must be a number > 0, got ${JSON.stringify(o.widthMultiplier)}`);
  }
  if (o.stemStride !== 1 && o.stemStride !== 2) {
    throw new ConfigError(`space-mobilenet: option 'stemStride' must be 1 or 2, got ${JSON.stringify(o.stemStride)}`);
  }
  if (!Number.isInteger(o.minFeatureSize) || o.minFeatureSize < 1) {
    throw new ConfigError(`space-mobilenet: option 'minFeatureSize' must be an integer >= 1, got ${JSON.stringify(o.minFeatureSize)}`);
  }
  if (!(typeof o.maxFlops === 'number' && o.maxFlops >= 0)) {
    throw new ConfigError(`space-mobilenet: option 'maxFlops' must be a number >= 0, got ${JSON.stringify(o.maxFlops)}`);
  }
  return o;
}

/** Channels scaled by the width multiplier as the reference does (int(c * w)), at least 1. */
export function scaleChannels(c: number, widthMultiplier: number): number {
  return Math.max(1, Math.floor(c * widthMultiplier + 1e-9));
}

export function skeleton(options: MobileNetOptions): Skeleton {
  const table = VARIANTS[options.variant];
  const w = (c: number): number => scaleChannels(c, options.widthMultiplier);
  const layers: LayerSpec[] = [];
  let cin = w(table.first);
  for (const stage of table.stages) {
    const cout = w(stage.channels);
    for (let i = 0; i < stage.layers; i++) {
      const opensStage = i === 0;
      const candidates: string[] = [...MBCONV_OPS];
      if (table.identity && !opensStage) candidates.push(IDENTITY);
      layers.push({ index: layers.length, cin, cout, nominalStride: opensStage ? stage.stride : 1, opensStage, candidates });
      cin = cout;
    }
  }
  return { stem: w(table.stem), first: w(table.first), last: w(table.last), layers };
}

/** Feature-map size after a conv with padding k/2 (odd k) and this stride. */
export function convOut(side: number, stride: number): number {
  return Math.ceil(side / stride);
}

export interface LayerPlan {
  stride: number;
  /** Input and output feature-map sides. */
  inH: number;
  inW: number;
  outH: number;
  outW: number;
}

/** Strides and feature-map sizes for one input size (see `minFeatureSize`). */
export interface Plan {
  stemStride: number;
  /** After the stem (= the first block's map). */
  stemH: number;
  stemW: number;
  layers: LayerPlan[];
  /** The final conv's map. */
  finalH: number;
  finalW: number;
}

export function checkInput(input: InputSpec): void {
  const { height, width, channels, numClasses } = input;
  for (const [k, v] of Object.entries({ height, width, channels, numClasses })) {
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(`space-mobilenet: input ${k} must be an integer >= 1, got ${v}`);
  }
}

export function plan(options: MobileNetOptions, sk: Skeleton, input: InputSpec): Plan {
  checkInput(input);
  const stride2 = (h: number, w: number): boolean => Math.min(convOut(h, 2), convOut(w, 2)) >= options.minFeatureSize;
  let h = input.height;
  let w = input.width;
  const stemStride = options.stemStride === 2 && stride2(h, w) ? 2 : 1;
  h = convOut(h, stemStride);
  w = convOut(w, stemStride);
  const stemH = h;
  const stemW = w;
  const layers = sk.layers.map((l) => {
    const stride = l.nominalStride === 2 && stride2(h, w) ? 2 : 1;
    const p = { stride, inH: h, inW: w, outH: convOut(h, stride), outW: convOut(w, stride) };
    h = p.outH;
    w = p.outW;
    return p;
  });
  return { stemStride, stemH, stemW, layers, finalH: h, finalW: w };
}

// Parameter names. One place, so the supernet, paramsOf and weightLayout agree.
export const names = {
  stemConv: 'stem.conv',
  stemBn: 'stem.bn',
  /** The fixed first block (MBConv k3 e1: depthwise + project). */
  first: 'first',
  /** Prefix of a layer's candidate block. */
  block: (layer: number, op: string) => `layers.${layer}.${op}`,
  finalConv: 'final.conv',
  finalBn: 'final.bn',
  classifier: 'classifier',
};

/** Conv weight names inside an MBConv block with this prefix (expand only when expansion != 1). */
export function blockConvWeights(prefix: string, expansion: number): string[] {
  const out = expansion !== 1 ? [`${prefix}.expand.weight`] : [];
  out.push(`${prefix}.dw.weight`, `${prefix}.project.weight`);
  return out;
}
