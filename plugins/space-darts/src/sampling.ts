/**
 * How the DARTS space samples children, derives the final one, and keeps the
 * normal and reduction cells on the same candidate lists while ABS shrinks.
 *
 * `none` is the "edge absent" marker of this space: a child has exactly two
 * inputs per node (the other edges `none`), and the space's shrink hooks
 * keep `none` and the last real operator of every edge out of the drop
 * lists unless the drop policy's `dropAbsent` lets `none` go like any other
 * operator (the ABS DARTS reference).
 */
import { Architecture, CandidateSet, Operator, OperatorScore, Rng } from '@absnas/core';
import type { DartsSampling } from './macro';
import { DARTS_OPS, NUM_EDGES, NUM_INPUTS, NUM_NODES, edgesInto, twinPoint } from './topology';

/** The kept real (non-`none`) operators of choice point `p`. */
function realOps(candidates: CandidateSet, p: number): string[] {
  return candidates.lists[p].filter((op) => op !== 'none');
}

/**
 * One cell (14 ops) over the lists of choice points offset..offset+13:
 * every node takes exactly two inputs among the edges that have a real
 * operator left (fewer when fewer exist; more when edges that cannot be
 * absent, without `none` in their list, force it), uniform over the pairs,
 * each chosen edge a uniform real operator. `fixed` (an edge index of this
 * cell and an op) is held: a real op makes the edge an input, `none` keeps
 * it out.
 */
function samplePairsCell(candidates: CandidateSet, offset: number, rng: Rng, fixed?: { edge: number; op: string }): string[] {
  const ops: string[] = Array(NUM_EDGES).fill('none');
  for (let to = NUM_INPUTS; to < NUM_NODES; to++) {
    const edges = edgesInto(to);
    const forced = edges.filter((i) => {
      if (fixed && fixed.edge === i) return fixed.op !== 'none';
      return !candidates.lists[offset + i].includes('none');
    });
    const optional = edges.filter((i) => !forced.includes(i) && !(fixed && fixed.edge === i) && realOps(candidates, offset + i).length > 0);
    rng.shuffle(optional);
    const chosen = [...forced, ...optional.slice(0, Math.max(0, 2 - forced.length))];
    for (const i of chosen) ops[i] = fixed && fixed.edge === i ? fixed.op : rng.pick(realOps(candidates, offset + i));
  }
  return ops;
}

/** A uniform `k`-subset of `items` (numpy's choice without replacement). */
function chooseSome<T>(rng: Rng, items: readonly T[], k: number): T[] {
  return rng.shuffle([...items]).slice(0, k);
}

/**
 * One cell by the ABS DARTS reference (check_cand of utils/nas_utils.py):
 * every edge draws a uniform op of its list; then every node with j + 2
 * input edges (j = 0..3) is made to have exactly j `none` ones: too few,
 * and uniform ones of its other edges become `none` (even where `none` was
 * dropped from the list: the edge is then absent from the child); too many,
 * and uniform ones of its `none` edges draw a uniform real op of their list
 * (when one is left). `fixed` is set after that, as the reference sets the
 * operator it scores: a node may then have one input or three.
 */
function sampleCellCheckCand(candidates: CandidateSet, offset: number, rng: Rng, fixed?: { edge: number; op: string }): string[] {
  const ops = Array.from({ length: NUM_EDGES }, (_, i) => rng.pick(candidates.lists[offset + i]));
  for (let to = NUM_INPUTS; to < NUM_NODES; to++) {
    const edges = edgesInto(to);
    const absent = edges.length - 2;
    const nones = edges.filter((i) => ops[i] === 'none');
    if (nones.length < absent) {
      const present = edges.filter((i) => ops[i] !== 'none');
      for (const i of chooseSome(rng, present, absent - nones.length)) ops[i] = 'none';
    } else if (nones.length > absent) {
      for (const i of chooseSome(rng, nones, nones.length - absent)) {
        const real = realOps(candidates, offset + i);
        if (real.length > 0) ops[i] = rng.pick(real);
      }
    }
  }
  if (fixed) ops[fixed.edge] = fixed.op;
  return ops;
}

/** Whether the normal and reduction cells keep the same candidates on every edge. */
export function listsShared(candidates: CandidateSet): boolean {
  for (let i = 0; i < NUM_EDGES; i++) {
    if (candidates.lists[i].join(',') !== candidates.lists[i + NUM_EDGES].join(',')) return false;
  }
  return true;
}

/**
 * A child for ABS scoring and single-path training, as the ABS reference:
 * one random cell copied to both cell types, with two real inputs per node,
 * drawn by `rule`: 'pairs' (uniform over the pairs of inputs, see
 * samplePairsCell) or 'check-cand' (the reference's own rule, see
 * sampleCellCheckCand). When the two cell types keep different lists (a
 * candidate set from elsewhere), each cell is drawn on its own.
 */
export function sampleArchitecture(candidates: CandidateSet, rng: Rng, fixed?: Operator, rule: DartsSampling = 'pairs'): Architecture {
  const sampleCell = rule === 'check-cand' ? sampleCellCheckCand : samplePairsCell;
  const edge = fixed ? fixed.point % NUM_EDGES : -1;
  const inNormal = fixed !== undefined && fixed.point < NUM_EDGES;
  if (listsShared(candidates)) {
    const cell = sampleCell(candidates, 0, rng, fixed ? { edge, op: fixed.op } : undefined);
    return [...cell, ...cell];
  }
  const normal = sampleCell(candidates, 0, rng, fixed && inNormal ? { edge, op: fixed.op } : undefined);
  const reduce = sampleCell(candidates, NUM_EDGES, rng, fixed && !inNormal ? { edge, op: fixed.op } : undefined);
  return [...normal, ...reduce];
}

/**
 * DARTS's genotype derivation (`_parse` of model_search.py) from weights per
 * choice point over DARTS_OPS (0 = dropped): in each cell, every node keeps
 * the two input edges whose strongest real operator weighs most (ties: the
 * lower input), each with that operator; the other edges are `none`.
 */
export function deriveArchitecture(weights: readonly Float32Array[]): Architecture {
  if (weights.length !== 2 * NUM_EDGES) throw new Error(`derive: expected ${2 * NUM_EDGES} weight vectors, got ${weights.length}`);
  const arch: string[] = Array(2 * NUM_EDGES).fill('none');
  for (let cell = 0; cell < 2; cell++) {
    for (let to = NUM_INPUTS; to < NUM_NODES; to++) {
      const ranked = edgesInto(to)
        .map((i) => {
          const w = weights[cell * NUM_EDGES + i];
          let best = -1;
          DARTS_OPS.forEach((op, k) => {
            if (op !== 'none' && w[k] > 0 && (best < 0 || w[k] > w[best])) best = k;
          });
          return { i, best, strength: best < 0 ? -Infinity : w[best] };
        })
        .filter((r) => r.best >= 0)
        .sort((a, b) => b.strength - a.strength || a.i - b.i);
      for (const r of ranked.slice(0, 2)) arch[cell * NUM_EDGES + r.i] = DARTS_OPS[r.best];
    }
  }
  return arch;
}

/**
 * The space's onOperatorScores handler: (1) leaves out `none` and the last
 * real operator of an edge (neither may be dropped: a child needs the edge
 * absent or present), unless `dropAbsent` (the ABS DARTS reference drops any
 * operator of an edge with more than one left, `none` included); (2) gives
 * an operator of a normal-cell edge and the same operator of the same
 * reduction-cell edge their common mean score (weighted by children), so
 * that every drop policy treats them alike and the two cell types keep the
 * same lists.
 */
export function tieCellScores(scores: readonly OperatorScore[], candidates: CandidateSet, dropAbsent = false): OperatorScore[] {
  const droppable = dropAbsent
    ? scores.filter((s) => candidates.lists[s.point].length > 1)
    : scores.filter((s) => s.op !== 'none' && realOps(candidates, s.point).length > 1);
  const byKey = new Map(droppable.map((s) => [`${s.point}:${s.op}`, s]));
  return droppable.map((s) => {
    const twin = byKey.get(`${twinPoint(s.point)}:${s.op}`);
    if (!twin || candidates.lists[s.point].join(',') !== candidates.lists[twinPoint(s.point)].join(',')) return { ...s };
    const n = s.children + twin.children;
    const score = n > 0 ? (s.score * s.children + twin.score * twin.children) / n : (s.score + twin.score) / 2;
    return { ...s, score, children: n };
  });
}

/**
 * The space's onDropList handler: whatever is dropped on an edge of one cell
 * type is dropped on the same edge of the other (when it is still there);
 * never `none` and never an edge's last real operator, unless `dropAbsent`,
 * where only an edge's last operator stays.
 */
export function mirrorDrops(drops: readonly Operator[], candidates: CandidateSet, dropAbsent = false): Operator[] {
  const out: Operator[] = [];
  const seen = new Set<string>();
  const add = (o: Operator): void => {
    const key = `${o.point}:${o.op}`;
    if ((o.op === 'none' && !dropAbsent) || seen.has(key) || !candidates.lists[o.point].includes(o.op)) return;
    seen.add(key);
    out.push(o);
  };
  for (const d of drops) {
    add(d);
    add({ point: twinPoint(d.point), op: d.op });
  }
  // keep at least one (real, unless dropAbsent) operator on every edge
  const left = candidates.lists.map((list, p) => (dropAbsent ? list.length : realOps(candidates, p).length));
  return out.filter((o) => {
    if (left[o.point] <= 1) return false;
    left[o.point]--;
    return true;
  });
}
