import { Architecture, CandidateSet, InputSpec, LatencyTable, SearchSpace, UserError } from '@absnas/core';
import * as fs from 'fs';

/**
 * The cost of a child as a sum over choice points: cost(base) plus, per
 * point, the difference that choosing `op` there makes. Exact for spaces
 * whose FLOPs add up per choice point (chain layers, NB201 edges); a latency
 * table measured the same way (`absnas latency-table`) plugs in alike.
 */
export interface CostModel {
  unit: string;
  base: number;
  /** marginal[point][k]: extra cost of candidate k of candidates.lists[point] over the base op. */
  marginal: number[][];
}

export function flopsModel(space: SearchSpace, candidates: CandidateSet, input: InputSpec): CostModel {
  const base: Architecture = candidates.lists.map((l) => l[0]);
  const baseCost = space.cost(base, input).flops;
  const marginal = candidates.lists.map((list, point) =>
    list.map((op) => space.cost(base.map((b, i) => (i === point ? op : b)), input).flops - baseCost),
  );
  return { unit: 'FLOPs', base: baseCost, marginal };
}

/** A latency table written by `absnas latency-table`, restricted to the remaining candidates. */
export function latencyModel(file: string, space: SearchSpace, candidates: CandidateSet): CostModel {
  let table: LatencyTable;
  try {
    table = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`latency table ${file}: cannot be read (${(e as Error).message})`);
  }
  if (table.format !== 'absnas.latency-table' || table.space !== space.name) {
    throw new UserError(`latency table ${file}: expected an absnas.latency-table of space '${space.name}', got ${table.format} of '${table.space}'`);
  }
  const marginal = candidates.lists.map((list, point) => {
    const id = space.choicePoints[point].id;
    return list.map((op) => {
      const ms = table.ops[id]?.[op];
      if (typeof ms !== 'number') throw new UserError(`latency table ${file}: no entry for ${op} at ${id} (measure it again with absnas latency-table)`);
      return ms;
    });
  });
  // the table's base may differ from this space's first candidates: re-base on the first candidate of each point
  const shift = marginal.reduce((s, m) => s + m[0], 0);
  return { unit: 'ms', base: table.baseMs + shift, marginal: marginal.map((m) => m.map((x) => x - m[0])) };
}

/** Expected cost under per-point probabilities, and its gradient with respect to each point's alphas. */
export function expectedCost(model: CostModel, probs: readonly (readonly number[])[]): { value: number; gradAlpha: number[][] } {
  let value = model.base;
  const perPoint = probs.map((p, point) => p.reduce((s, pk, k) => s + pk * model.marginal[point][k], 0));
  value += perPoint.reduce((a, b) => a + b, 0);
  // d/d alpha_i of sum_k p_k c_k = p_i (c_i - E[c]) for a softmax p
  const gradAlpha = probs.map((p, point) => p.map((pi, i) => pi * (model.marginal[point][i] - perPoint[point])));
  return { value, gradAlpha };
}
