/**
 * The macro skeleton of DARTS networks (model_search.py / model.py): a 3x3
 * stem conv with stemMultiplier x C channels and BN, then `layers` cells,
 * reduction cells at layers/3 and 2*layers/3 (channels doubled, resolution
 * halved), each cell reading the outputs of the two previous cells; global
 * average pooling and a linear classifier. Shared by the supernet, the
 * standalone network, the cost counter and the angle layout.
 */
import { ConfigError, InitScheme, InputSpec } from '@absnas/core';
import { MULTIPLIER } from './topology';

export interface DartsOptions {
  /** Channels of a node in the first cells (C; DARTS search: 16). */
  channels: number;
  /** Cells of the search supernet (DARTS search: 8). */
  layers: number;
  /** Stem channels = stemMultiplier x C (3). */
  stemMultiplier: number;
  /** C of the standalone network that `cost` counts and `absnas train` builds by default (DARTS evaluation: 36). */
  networkChannels: number;
  /** Cells of that network (DARTS evaluation: 20). */
  networkLayers: number;
  /** Initialisation of the supernet's conv and linear layers ('pytorch' defaults, or 'kaiming' as the ABS DARTS reference). */
  init: InitScheme;
  /** How a child's cell is drawn (see sampling.ts): uniform input pairs, or the ABS DARTS reference's check_cand rule. */
  sampling: DartsSampling;
  /** Batch norms of the search cells with affine parameters (the ABS DARTS shrinking reference) or without (DARTS's search cells). */
  affine: boolean;
}

export type DartsSampling = 'pairs' | 'check-cand';
const SAMPLING_RULES: readonly DartsSampling[] = ['pairs', 'check-cand'];

export const DEFAULT_OPTIONS: DartsOptions = {
  channels: 16,
  layers: 8,
  stemMultiplier: 3,
  networkChannels: 36,
  networkLayers: 20,
  init: 'pytorch',
  sampling: 'pairs',
  affine: false,
};

export const OPTION_KEYS = Object.keys(DEFAULT_OPTIONS) as (keyof DartsOptions)[];
/** The options that are integers >= 1. */
const COUNT_KEYS = ['channels', 'layers', 'stemMultiplier', 'networkChannels', 'networkLayers'] as const;
const INIT_SCHEMES: readonly InitScheme[] = ['pytorch', 'kaiming'];

/** Options with defaults applied, validated. */
export function resolveOptions(options: Partial<DartsOptions> | undefined): DartsOptions {
  const given = options ?? {};
  for (const k of Object.keys(given)) {
    if (!(OPTION_KEYS as string[]).includes(k)) {
      throw new ConfigError(`space-darts: unknown option '${k}' (known: ${OPTION_KEYS.join(', ')})`);
    }
  }
  const o = { ...DEFAULT_OPTIONS, ...given };
  for (const key of COUNT_KEYS) {
    if (!Number.isInteger(o[key]) || o[key] < 1) {
      throw new ConfigError(`space-darts: option '${key}' must be an integer >= 1, got ${JSON.stringify(o[key])}`);
    }
  }
  if (!INIT_SCHEMES.includes(o.init)) {
    throw new ConfigError(`space-darts: option 'init' must be one of ${INIT_SCHEMES.join(', ')}, got ${JSON.stringify(o.init)}`);
  }
  if (typeof o.affine !== 'boolean') throw new ConfigError(`space-darts: option 'affine' must be true or false, got ${JSON.stringify(o.affine)}`);
  if (!SAMPLING_RULES.includes(o.sampling)) {
    throw new ConfigError(`space-darts: option 'sampling' must be one of ${SAMPLING_RULES.join(', ')}, got ${JSON.stringify(o.sampling)}`);
  }
  return o;
}

/** Where and how wide each cell is. */
export interface CellPlan {
  index: number;
  reduction: boolean;
  reductionPrev: boolean;
  /** Channels of the cell's inputs (the outputs of cells i-2 and i-1, or the stem). */
  cPrevPrev: number;
  cPrev: number;
  /** Channels of one node; the cell outputs MULTIPLIER x c. */
  c: number;
  /** Map side of the cell's (preprocessed) inputs and of its output. */
  inHeight: number;
  inWidth: number;
  outHeight: number;
  outWidth: number;
}

export interface MacroPlan {
  stemChannels: number;
  cells: CellPlan[];
  /** Channels into the classifier. */
  finalChannels: number;
  /** Index of the cell after which DARTS's auxiliary head sits (2 * layers / 3). */
  auxiliaryAfter: number;
}

export function isReduction(index: number, layers: number): boolean {
  return index === Math.floor(layers / 3) || index === Math.floor((2 * layers) / 3);
}

/** The cells of a network with `channels` (C) and `layers` on this input; checks that the map sides survive the reductions. */
export function macroPlan(channels: number, layers: number, stemMultiplier: number, input: InputSpec): MacroPlan {
  const { height, width } = input;
  for (const [k, v] of Object.entries({ height, width, channels: input.channels, numClasses: input.numClasses })) {
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(`space-darts: input ${k} must be an integer >= 1, got ${v}`);
  }
  const reductions = Array.from({ length: layers }, (_, i) => isReduction(i, layers)).filter(Boolean).length;
  const f = 2 ** reductions;
  if (height % f !== 0 || width % f !== 0) {
    throw new ConfigError(
      `space-darts: input ${height}x${width}: height and width must be divisible by ${f} (${reductions} stride-2 reduction cells)`,
    );
  }
  const stemChannels = stemMultiplier * channels;
  let cPrevPrev = stemChannels;
  let cPrev = stemChannels;
  let c = channels;
  let h = height;
  let w = width;
  let reductionPrev = false;
  const cells: CellPlan[] = [];
  for (let i = 0; i < layers; i++) {
    const reduction = isReduction(i, layers);
    if (reduction) c *= 2;
    const outH = reduction ? h / 2 : h;
    const outW = reduction ? w / 2 : w;
    cells.push({ index: i, reduction, reductionPrev, cPrevPrev, cPrev, c, inHeight: h, inWidth: w, outHeight: outH, outWidth: outW });
    reductionPrev = reduction;
    cPrevPrev = cPrev;
    cPrev = MULTIPLIER * c;
    h = outH;
    w = outW;
  }
  return { stemChannels, cells, finalChannels: cPrev, auxiliaryAfter: Math.floor((2 * layers) / 3) };
}

// Parameter names, in one place so that the supernet, paramsOf and the weight layout agree.
export const names = {
  stemConv: 'stem.conv',
  stemBn: 'stem.bn',
  pre0: (cell: number) => `cells.${cell}.pre0`,
  pre1: (cell: number) => `cells.${cell}.pre1`,
  edgeOp: (cell: number, edgeId: string, op: string) => `cells.${cell}.edge.${edgeId}.${op}`,
  classifier: 'classifier',
  auxiliary: 'auxiliary',
};

/**
 * The cells that run when only `count` of `layers` are active, in network
 * order: how the ABS DARTS reference grows its supernet during the warm-up
 * (super_model.py, insert_layer). It starts from the first normal cell and
 * the two reduction cells, then inserts normal cells one at a time at the
 * end of one of the three groups (before the first reduction, between them,
 * after the second): before, when the three are equally long; else between,
 * when it is shorter than before; else after. A full group is skipped (the
 * reference's groups are equal at full depth; this layout's may differ by one).
 */
export function activeCells(layers: number, count: number): number[] {
  const r1 = Math.floor(layers / 3);
  const r2 = Math.floor((2 * layers) / 3);
  const starts = [0, r1 + 1, r2 + 1];
  const capacity = [r1, r2 - r1 - 1, layers - r2 - 1];
  const filled = [Math.min(1, capacity[0]), 0, 0];
  const least = 2 + filled[0];
  if (layers < 3 || !Number.isInteger(count) || count < least || count > layers) {
    throw new ConfigError(`space-darts: ${count} active cells of ${layers}: expected an integer from ${least} to ${layers} (layers >= 3)`);
  }
  while (2 + filled[0] + filled[1] + filled[2] < count) {
    const [f, m, b] = filled;
    let group = f === m && m === b ? 0 : m < f ? 1 : b < m ? 2 : 0;
    if (filled[group] >= capacity[group]) group = [1, 2, 0].find((g) => filled[g] < capacity[g]) as number;
    filled[group]++;
  }
  const cells: number[] = [];
  for (let g = 0; g < 3; g++) {
    for (let k = 0; k < filled[g]; k++) cells.push(starts[g] + k);
    if (g < 2) cells.push(g === 0 ? r1 : r2);
  }
  return cells;
}
