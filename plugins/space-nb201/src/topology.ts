/**
 * The NAS-Bench-201 cell as a graph: 4 nodes, 6 edges, 5 candidate operators,
 * and the 4 paths from the cell input (node 0) to the cell output (node 3).
 * Everything else in this package (parsing, supernet, cost, angle layout)
 * is written against these tables.
 */

/** Candidate operators of every edge, in the official order. */
export const NB201_OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'] as const;
export type Nb201Op = (typeof NB201_OPS)[number];

/** The operators that own weights, with their kernel size. */
export const CONV_KERNEL: Readonly<Record<string, number>> = { nor_conv_1x1: 1, nor_conv_3x3: 3 };
export const CONV_OPS = ['nor_conv_1x1', 'nor_conv_3x3'] as const;

/** Side of the (stride 1) average pooling window. */
export const POOL_KERNEL = 3;

/** Number of nodes of a cell; node 0 is the input, the last node the output. */
export const NUM_NODES = 4;
export const OUTPUT_NODE = NUM_NODES - 1;

export interface Edge {
  /** Choice-point id, `to<-from`. */
  id: string;
  from: number;
  to: number;
}

/** The 6 edges in the order of the architecture string (grouped by target node). */
export const EDGES: readonly Edge[] = (() => {
  const edges: Edge[] = [];
  for (let to = 1; to < NUM_NODES; to++) {
    for (let from = 0; from < to; from++) edges.push({ id: `${to}<-${from}`, from, to });
  }
  return edges;
})();

/** Index into EDGES of the edge from -> to. */
export function edgeIndex(from: number, to: number): number {
  const i = EDGES.findIndex((e) => e.from === from && e.to === to);
  if (i < 0) throw new Error(`no edge ${to}<-${from}`);
  return i;
}

/**
 * The input-to-output paths as lists of edge indices, in the order the angle
 * metric concatenates them: 0->3, 0->1->3, 0->2->3, 0->1->2->3.
 */
export const PATHS: readonly (readonly number[])[] = [
  [edgeIndex(0, 3)],
  [edgeIndex(0, 1), edgeIndex(1, 3)],
  [edgeIndex(0, 2), edgeIndex(2, 3)],
  [edgeIndex(0, 1), edgeIndex(1, 2), edgeIndex(2, 3)],
];

export function isConv(op: string): boolean {
  return op in CONV_KERNEL;
}

/** Paths of the cell that no `none` edge cuts. */
export function livePaths(arch: readonly string[]): (readonly number[])[] {
  // plain loops: the angle metric asks this of each of the 15,625 children
  const live: (readonly number[])[] = [];
  for (let p = 0; p < PATHS.length; p++) {
    const path = PATHS[p];
    let cut = false;
    for (let j = 0; j < path.length; j++) if (arch[path[j]] === 'none') cut = true;
    if (!cut) live.push(path);
  }
  return live;
}

/**
 * Edges that lie on at least one uncut input-to-output path: exactly the
 * edges whose operator can influence the cell output through the cell input.
 * (An edge leaving a node that only receives `none` sees a zero tensor; an
 * edge into a node that never reaches the output is discarded.)
 */
export function liveEdges(arch: readonly string[]): Set<number> {
  const live = new Set<number>();
  for (const path of livePaths(arch)) for (const e of path) live.add(e);
  return live;
}
