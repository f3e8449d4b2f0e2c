/**
 * The angle metric's weight vector V(child, W) for a DARTS child
 * (ABS-METHOD.md, "Cell spaces", and the ABS reference code for DARTS):
 * for each cell in order, the 16 paths from a cell input to node 5 in the
 * order of PATHS; a path through a `none` edge contributes nothing,
 * otherwise each edge on it contributes its operator's conv weights
 * (sep_conv: its 4 convs; dil_conv: its 2 convs), a constant 1/9
 * pseudo-kernel of C*3*3 entries (max or average pooling), or nothing
 * (skip_connect, including the stride-2 FactorizedReduce skip of a
 * reduction cell, as the reference). An edge on several paths appears once
 * per path. Then the fixed parts: the stem conv, every cell's preprocessing
 * convs (cell by cell), the classifier weight. No BN parameters (the search
 * BNs have none), no biases.
 */
import { Architecture, WeightLayout, WeightSegment } from '@absnas/core';
import { validateArchitecture } from './genotype';
import { DartsOptions, macroPlan, names } from './macro';
import { EDGES, NUM_EDGES, isDilConv, isPool, isSepConv, livePaths } from './topology';

/** The conv weights of operator `op` on an edge of cell `cell` that enter V. */
export function opSegments(cell: number, edge: number, op: string, c: number): WeightSegment[] {
  const prefix = names.edgeOp(cell, EDGES[edge].id, op);
  if (isSepConv(op)) return ['dw1', 'pw1', 'dw2', 'pw2'].map((m) => ({ param: `${prefix}.${m}.weight` }));
  if (isDilConv(op)) return ['dw', 'pw'].map((m) => ({ param: `${prefix}.${m}.weight` }));
  if (isPool(op)) return [{ constant: 1 / 9, size: c * 9 }];
  return []; // skip_connect, none
}

/** The cell part of V for one cell (`ops`: that cell type's 14 operators). */
export function cellSegments(cell: number, ops: readonly string[], c: number): WeightSegment[] {
  const out: WeightSegment[] = [];
  for (const path of livePaths(ops)) for (const e of path) out.push(...opSegments(cell, e, ops[e], c));
  return out;
}

/** Names of the fixed (architecture-independent) parameters in V, in order. */
export function fixedParamNames(options: Pick<DartsOptions, 'layers'>, reductionPrev: (cell: number) => boolean): string[] {
  const out = [`${names.stemConv}.weight`];
  for (let i = 0; i < options.layers; i++) {
    const pre0 = names.pre0(i);
    out.push(...(reductionPrev(i) ? [`${pre0}.conv_1.weight`, `${pre0}.conv_2.weight`] : [`${pre0}.conv.weight`]));
    out.push(`${names.pre1(i)}.conv.weight`);
  }
  out.push(`${names.classifier}.weight`);
  return out;
}

export function dartsWeightLayout(arch: Architecture, options: DartsOptions): WeightLayout {
  validateArchitecture(arch);
  // the layout does not depend on the map sides; any input that survives the (at most two) reductions will do
  const side = 4;
  const plan = macroPlan(options.channels, options.layers, options.stemMultiplier, { height: side, width: side, channels: 3, numClasses: 2 });
  const segments: WeightSegment[] = [];
  let cut = true;
  for (const cell of plan.cells) {
    const offset = cell.reduction ? NUM_EDGES : 0;
    const ops = arch.slice(offset, offset + NUM_EDGES);
    if (livePaths(ops).length > 0) cut = false;
    segments.push(...cellSegments(cell.index, ops, cell.c));
  }
  for (const param of fixedParamNames(options, (i) => plan.cells[i].reductionPrev)) segments.push({ param });
  return { segments, allPathsCut: cut };
}
