/**
 * How single-path training draws the operators of the supernet's cells.
 *
 * - `shared`: one child (an operator per edge, uniform over the remaining
 *   candidates) run by all 3N cells, as the angle and every metric score.
 * - `per-cell`: the reference's 'urs' training (XAutoDL's
 *   NAS102SearchCell.forward_urs, used by AngleNAS's train_supernet.py and,
 *   with the remaining candidates, dropnode_by_angle.py): every cell draws
 *   its own operators on every step, and within a cell each node redraws all
 *   its incoming edges together while every one of them is `none`, so no
 *   node (and no cell) is disconnected.
 *
 * A per-cell path is one architecture of 6 x 3N operators, cell after cell;
 * only the supernet's forward and paramsOf read it (scoring never sees one).
 */
import { Architecture, CandidateSet, ConfigError, Rng } from '@absnas/core';
import { EDGES, NUM_NODES } from './topology';

export const SAMPLING_MODES = ['shared', 'per-cell'] as const;
export type Nb201Sampling = (typeof SAMPLING_MODES)[number];

/** Edge indices into each node (index = node; node 0 has none). */
const INCOMING: readonly (readonly number[])[] = Array.from({ length: NUM_NODES }, (_, to) =>
  EDGES.flatMap((e, i) => (e.to === to ? [i] : [])),
);

/**
 * One cell's operators by the reference's redraw rule. A node whose incoming
 * edges have no candidate but `none` left cannot be connected: it keeps its
 * one draw (the reference would loop forever there).
 */
export function sampleCellRedraw(candidates: CandidateSet, rng: Rng): string[] {
  const lists = candidates.lists;
  const cell: string[] = new Array(EDGES.length);
  for (let to = 1; to < NUM_NODES; to++) {
    const incoming = INCOMING[to];
    const connectable = incoming.some((i) => lists[i].some((op) => op !== 'none'));
    for (;;) {
      for (const i of incoming) cell[i] = rng.pick(lists[i]);
      if (!connectable || incoming.some((i) => cell[i] !== 'none')) break;
    }
  }
  return cell;
}

/** A per-cell training path: `cells` cells, each drawn by the redraw rule, concatenated. */
export function samplePerCell(candidates: CandidateSet, rng: Rng, cells: number): Architecture {
  const out: string[] = [];
  for (let c = 0; c < cells; c++) out.push(...sampleCellRedraw(candidates, rng));
  return out;
}

export function checkSampling(value: unknown): Nb201Sampling {
  if (!(SAMPLING_MODES as readonly unknown[]).includes(value)) {
    throw new ConfigError(`space-nb201: option 'sampling' must be one of ${SAMPLING_MODES.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as Nb201Sampling;
}
