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

/** The pseudo-weight of one pooling edge in a cell of `channels` channels. */
function poolSegment(channels: number): WeightSegment {
  return { constant: 1 / (POOL_KERNEL * POOL_KERNEL), size: channels * POOL_KERNEL * POOL_KERNEL };
}

/** The cell part of V for one cell. */
function cellSegments(arch: Architecture, cell: number, channels: number): WeightSegment[] {
  const out: WeightSegment[] = [];
  for (const path of livePaths(arch)) {
    for (const e of path) {
      const op = arch[e];
      if (isConv(op)) out.push({ param: names.edgeConvWeight(cell, EDGES[e].id, op) });
      else if (op === 'avg_pool_3x3') out.push(poolSegment(channels));
      // skip_connect adds nothing
    }
  }
  return out;
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
  const segments: WeightSegment[] = [];
  stageChannels(options).forEach((channels, s) => {
    for (let i = 0; i < options.cellsPerStage; i++) {
      segments.push(...cellSegments(arch, s * options.cellsPerStage + i, channels));
    }
  });
  for (const param of fixedParamNames()) segments.push({ param });
  return { segments, allPathsCut: livePaths(arch).length === 0 };
}
