/**
 * The DARTS cell as a graph: nodes 0 and 1 are the cell's inputs (the
 * outputs of the two previous cells), nodes 2..5 the intermediate nodes, each
 * the sum of operators applied to every earlier node (14 edges), and the cell
 * output is the concatenation of nodes 2..5. Two cell types, normal and
 * reduction; a reduction cell applies stride 2 on the edges leaving its inputs.
 */

/** Candidate operators of every edge, in the order of the DARTS code (PRIMITIVES). */
export const DARTS_OPS = [
  'none',
  'max_pool_3x3',
  'avg_pool_3x3',
  'skip_connect',
  'sep_conv_3x3',
  'sep_conv_5x5',
  'dil_conv_3x3',
  'dil_conv_5x5',
] as const;
export type DartsOp = (typeof DARTS_OPS)[number];

export function isDartsOp(op: string): op is DartsOp {
  return (DARTS_OPS as readonly string[]).includes(op);
}

/** Kernel size of the separable and dilated convolutions. */
export const CONV_KERNEL: Readonly<Record<string, number>> = {
  sep_conv_3x3: 3,
  sep_conv_5x5: 5,
  dil_conv_3x3: 3,
  dil_conv_5x5: 5,
};

export const isSepConv = (op: string): boolean => op === 'sep_conv_3x3' || op === 'sep_conv_5x5';
export const isDilConv = (op: string): boolean => op === 'dil_conv_3x3' || op === 'dil_conv_5x5';
export const isPool = (op: string): boolean => op === 'max_pool_3x3' || op === 'avg_pool_3x3';

/** Cell inputs, intermediate nodes, and the nodes concatenated into the output. */
export const NUM_INPUTS = 2;
export const NUM_STEPS = 4;
export const NUM_NODES = NUM_INPUTS + NUM_STEPS;
export const CONCAT: readonly number[] = [2, 3, 4, 5];
/** Cell channels = MULTIPLIER x the channels of one node. */
export const MULTIPLIER = CONCAT.length;

export interface Edge {
  /** `to<-from`. */
  id: string;
  from: number;
  to: number;
}

/** The 14 edges of a cell in the DARTS order: grouped by target node, inputs ascending. */
export const EDGES: readonly Edge[] = (() => {
  const edges: Edge[] = [];
  for (let to = NUM_INPUTS; to < NUM_NODES; to++) {
    for (let from = 0; from < to; from++) edges.push({ id: `${to}<-${from}`, from, to });
  }
  return edges;
})();

export const NUM_EDGES = EDGES.length;

export function edgeIndex(from: number, to: number): number {
  const i = EDGES.findIndex((e) => e.from === from && e.to === to);
  if (i < 0) throw new Error(`no edge ${to}<-${from}`);
  return i;
}

/** Indices (into EDGES) of the edges entering node `to`. */
export function edgesInto(to: number): number[] {
  return EDGES.map((e, i) => (e.to === to ? i : -1)).filter((i) => i >= 0);
}

/**
 * The 16 paths from a cell input (node 0 or 1) to the last node (5), as lists
 * of edge indices, in the order the angle concatenates them: from input 0
 * then input 1, each depth-first with the next node ascending.
 */
export const PATHS: readonly (readonly number[])[] = (() => {
  const last = NUM_NODES - 1;
  const out: number[][] = [];
  const walk = (node: number, edges: number[]): void => {
    if (node === last) {
      out.push(edges);
      return;
    }
    for (let next = Math.max(node + 1, NUM_INPUTS); next <= last; next++) walk(next, [...edges, edgeIndex(node, next)]);
  };
  for (let input = 0; input < NUM_INPUTS; input++) walk(input, []);
  return out;
})();

export const CELL_TYPES = ['normal', 'reduce'] as const;
export type CellType = (typeof CELL_TYPES)[number];

/**
 * An architecture holds 28 operators: the 14 edges of the normal cell, then
 * the 14 of the reduction cell. The ops of one cell type.
 */
export function cellOps(arch: readonly string[], type: CellType): readonly string[] {
  return type === 'normal' ? arch.slice(0, NUM_EDGES) : arch.slice(NUM_EDGES, 2 * NUM_EDGES);
}

/** The choice point of the same edge in the other cell type. */
export function twinPoint(point: number): number {
  return point < NUM_EDGES ? point + NUM_EDGES : point - NUM_EDGES;
}

/** Paths of a cell (one op per edge) that no `none` edge cuts. */
export function livePaths(ops: readonly string[]): (readonly number[])[] {
  return PATHS.filter((path) => path.every((e) => ops[e] !== 'none'));
}
