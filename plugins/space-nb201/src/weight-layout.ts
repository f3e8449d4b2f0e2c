/**
 * The angle metric's weight vector V(child, W) for an NB201 child
 * (ABS-METHOD.md, "Cell spaces"): for each cell in order, the 4
 * input-to-output paths in the order of PATHS; a path through a `none` edge
 * contributes nothing, otherwise each of its edges contributes its conv
 * weight (conv), a constant 1/9 pseudo-kernel of C*3*3 entries (pooling) or
 * nothing (skip). An edge on several paths appears once per path. Then the
 * fixed parts: stem conv and BN, the reduction blocks (convs, BN affine
 * parameters, shortcut conv), the final BN, the classifier weight and bias.
 */
import { Architecture, WeightLayout, WeightSegment } from '@absnas/core';
import { validateArchitecture } from './arch-string';
import { NUM_STAGES, Nb201Options, names, stageChannels } from './macro';
import { EDGES, POOL_KERNEL, isConv, livePaths } from './topology';

// A layout is built for each of the 15,625 children when the angle metric
// scores them all, so its parts are made once and reused (segments are only
// read): the conv segments of each (cell, edge, operator), the pooling
// segment of each width and the fixed part. Reused name strings also keep
// their hash, which the metric's per-parameter lookups need.
const poolSegments = new Map<number, WeightSegment>();
const convSegments: Map<string, WeightSegment>[] = [];
let fixedSegments: WeightSegment[] | undefined;

/** The pseudo-weight of one pooling edge in a cell of `channels` channels. */
function poolSegment(channels: number): WeightSegment {
  let seg = poolSegments.get(channels);
  if (!seg) {
    seg = { constant: 1 / (POOL_KERNEL * POOL_KERNEL), size: channels * POOL_KERNEL * POOL_KERNEL };
    poolSegments.set(channels, seg);
  }
  return seg;
}

/** The segment of the conv weight of operator `op` on edge `e` of cell `cell`. */
function convSegment(cell: number, e: number, op: string): WeightSegment {
  const key = cell * EDGES.length + e;
  let byOp = convSegments[key];
  if (!byOp) {
    byOp = new Map();
    convSegments[key] = byOp;
  }
  let seg = byOp.get(op);
  if (!seg) {
    seg = { param: names.edgeConvWeight(cell, EDGES[e].id, op) };
    byOp.set(op, seg);
  }
  return seg;
}

/**
 * What one cell contributes, the same in every cell: for each live path in
 * order, its conv edges (edge index and operator) and pooling edges (-1);
 * skip_connect adds nothing.
 */
function cellPlan(arch: Architecture, paths: readonly (readonly number[])[]): { e: number; op: string }[] {
  const plan: { e: number; op: string }[] = [];
  for (const path of paths) {
    for (const e of path) {
      const op = arch[e];
      if (isConv(op)) plan.push({ e, op });
      else if (op === 'avg_pool_3x3') plan.push({ e: -1, op });
    }
  }
  return plan;
}

/** Names of the fixed (architecture-independent) parameters, in V's order. */
export function fixedParamNames(): string[] {
  const out = [`${names.stemConv}.weight`, `${names.stemBn}.gamma`, `${names.stemBn}.beta`];
  for (let r = 0; r < NUM_STAGES - 1; r++) {
    const p = names.reduction(r);
    for (const branch of ['conv_a', 'conv_b']) {
      out.push(`${p}.${branch}.conv.weight`, `${p}.${branch}.bn.gamma`, `${p}.${branch}.bn.beta`);
    }
    out.push(`${p}.shortcut.conv.weight`);
  }
  out.push(`${names.finalBn}.gamma`, `${names.finalBn}.beta`, `${names.classifier}.weight`, `${names.classifier}.bias`);
  return out;
}

export function nb201WeightLayout(arch: Architecture, options: Nb201Options): WeightLayout {
  validateArchitecture(arch);
  const paths = livePaths(arch);
  const plan = cellPlan(arch, paths);
  const segments: WeightSegment[] = [];
  stageChannels(options).forEach((channels, s) => {
    for (let i = 0; i < options.cellsPerStage; i++) {
      const cell = s * options.cellsPerStage + i;
      for (const { e, op } of plan) segments.push(e < 0 ? poolSegment(channels) : convSegment(cell, e, op));
    }
  });
  fixedSegments ??= fixedParamNames().map((param) => ({ param }));
  for (const seg of fixedSegments) segments.push(seg);
  return { segments, allPathsCut: paths.length === 0 };
}
