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
import { EDGES, NB201_OPS, POOL_KERNEL, isConv, livePaths } from './topology';

/** Index of an (edge, operator) pair in a cell's segment table. */
const slot = (e: number, op: number): number => e * NB201_OPS.length + op;
const OP_INDEX = new Map<string, number>(NB201_OPS.map((op, i) => [op, i]));

/**
 * The segments a layout is made of, for one macro shape. A layout is built
 * for each of the 15,625 children when the angle metric scores them all, so
 * the segments are made once and only referenced from then on (they are only
 * read): per cell, the segment of every (edge, operator) that adds one (conv
 * weight or pooling constant; none for `none` and skip), then the fixed part.
 * Reused name strings also keep their hash, which the metric's
 * per-parameter lookups need.
 */
interface LayoutTables {
  cells: (WeightSegment | undefined)[][];
  fixed: WeightSegment[];
}

const tablesByShape = new Map<string, LayoutTables>();
// looked up by the options object first: no key string to build per child
const tablesByOptions = new WeakMap<Nb201Options, LayoutTables>();

function layoutTables(options: Nb201Options): LayoutTables {
  let tables = tablesByOptions.get(options);
  if (!tables) {
    const key = `${options.channels}/${options.cellsPerStage}`;
    tables = tablesByShape.get(key) ?? buildTables(options);
    tablesByShape.set(key, tables);
    tablesByOptions.set(options, tables);
  }
  return tables;
}

function buildTables(options: Nb201Options): LayoutTables {
  const cells: (WeightSegment | undefined)[][] = [];
  stageChannels(options).forEach((channels, s) => {
    const pool: WeightSegment = { constant: 1 / (POOL_KERNEL * POOL_KERNEL), size: channels * POOL_KERNEL * POOL_KERNEL };
    for (let i = 0; i < options.cellsPerStage; i++) {
      const cell = s * options.cellsPerStage + i;
      const table: (WeightSegment | undefined)[] = new Array(EDGES.length * NB201_OPS.length).fill(undefined);
      EDGES.forEach((edge, e) => {
        NB201_OPS.forEach((op, k) => {
          if (isConv(op)) table[slot(e, k)] = { param: names.edgeConvWeight(cell, edge.id, op) };
          else if (op === 'avg_pool_3x3') table[slot(e, k)] = pool;
        });
      });
      cells.push(table);
    }
  });
  return { cells, fixed: fixedParamNames().map((param) => ({ param })) };
}

/**
 * What one cell contributes, the same in every cell: the table slots of the
 * edges of each uncut path in order, leaving out skip_connect (it adds
 * nothing).
 */
function cellPlan(arch: Architecture, paths: readonly (readonly number[])[]): number[] {
  const plan: number[] = [];
  for (let p = 0; p < paths.length; p++) {
    const path = paths[p];
    for (let j = 0; j < path.length; j++) {
      const op = arch[path[j]];
      if (op !== 'skip_connect') plan.push(slot(path[j], OP_INDEX.get(op) as number));
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
  const { cells, fixed } = layoutTables(options);
  const paths = livePaths(arch);
  const plan = cellPlan(arch, paths);
  const segments: WeightSegment[] = new Array(cells.length * plan.length + fixed.length);
  let o = 0;
  for (let c = 0; c < cells.length; c++) {
    const table = cells[c];
    for (let i = 0; i < plan.length; i++) segments[o++] = table[plan[i]] as WeightSegment;
  }
  for (let i = 0; i < fixed.length; i++) segments[o++] = fixed[i];
  return { segments, allPathsCut: paths.length === 0 };
}
