/**
 * The macro skeleton around the cells (the NAS-Bench-201 / XAutoDL tiny
 * network): stem, three stages of N cells at C, 2C and 4C channels, a
 * residual reduction block between stages, final BN+ReLU, global average
 * pooling and a linear classifier. Shared by the supernet, the cost counter
 * and the angle layout so the three agree on shapes and names.
 */
import { ConfigError, InputSpec } from '@absnas/core';
import { Nb201Sampling, checkSampling } from './sampling';

export interface Nb201Options {
  /** Channels of the first stage (C). */
  channels: number;
  /** Search cells per stage (N). */
  cellsPerStage: number;
  /** How single-path training draws the cells' operators (sampling.ts). */
  sampling: Nb201Sampling;
}

export const DEFAULT_OPTIONS: Nb201Options = { channels: 16, cellsPerStage: 5, sampling: 'shared' };

export const NUM_STAGES = 3;

export interface StageShape {
  channels: number;
  height: number;
  width: number;
  /** Global indices of the stage's cells (they are numbered 0..3N-1 across stages). */
  cells: number[];
}

/** Options with defaults applied, validated. */
export function resolveOptions(options: Partial<Nb201Options> | undefined): Nb201Options {
  const o = { ...DEFAULT_OPTIONS, ...(options ?? {}) };
  for (const key of ['channels', 'cellsPerStage'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) {
      throw new ConfigError(`space-nb201: option '${key}' must be an integer >= 1, got ${JSON.stringify(o[key])}`);
    }
  }
  checkSampling(o.sampling);
  return o;
}

/** Channels of each stage: C, 2C, 4C. */
export function stageChannels(options: Nb201Options): number[] {
  return Array.from({ length: NUM_STAGES }, (_, s) => options.channels * 2 ** s);
}

/**
 * The stages' channel counts and feature-map sizes for this input. Each
 * reduction halves the map; the residual block's two branches (stride-2 conv
 * and 2x2 average pooling) only agree in size when the side is even, so both
 * sides must be divisible by 4 (32 for CIFAR, 28 for MNIST, 16 for
 * ImageNet16).
 */
export function stageShapes(options: Nb201Options, input: InputSpec): StageShape[] {
  const { height, width, channels, numClasses } = input;
  for (const [k, v] of Object.entries({ height, width, channels, numClasses })) {
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(`space-nb201: input ${k} must be an integer >= 1, got ${v}`);
  }
  if (height % 4 !== 0 || width % 4 !== 0) {
    throw new ConfigError(
      `space-nb201: input ${height}x${width}: height and width must be divisible by 4 (two stride-2 reductions)`,
    );
  }
  const n = options.cellsPerStage;
  return stageChannels(options).map((c, s) => ({
    channels: c,
    height: height / 2 ** s,
    width: width / 2 ** s,
    cells: Array.from({ length: n }, (_, i) => s * n + i),
  }));
}

// Parameter names. One place, so the supernet, paramsOf and weightLayout agree.
export const names = {
  stemConv: 'stem.conv',
  stemBn: 'stem.bn',
  /** Prefix of an edge operator's modules (`.conv`, `.bn`). */
  edgeOp: (cell: number, edgeId: string, op: string) => `cells.${cell}.edge.${edgeId}.${op}`,
  edgeConvWeight: (cell: number, edgeId: string, op: string) => `cells.${cell}.edge.${edgeId}.${op}.conv.weight`,
  reduction: (r: number) => `reduction.${r}`,
  finalBn: 'final.bn',
  classifier: 'classifier',
};
