import { Rng } from '../util/rng';
import { Architecture, ChoicePoint } from './search-space';

/** An operator: one candidate at one choice point (layer or edge). */
export interface Operator {
  point: number;
  op: string;
}

export function operatorKey(o: Operator): string {
  return `${o.point}:${o.op}`;
}

/**
 * The operators that remain at every choice point: the state that ABS
 * shrinks and every searcher searches. Immutable; dropping makes a new set.
 */
export class CandidateSet {
  readonly lists: readonly (readonly string[])[];

  constructor(readonly points: readonly ChoicePoint[], lists?: readonly (readonly string[])[]) {
    this.lists = (lists ?? points.map((p) => p.candidates)).map((l) => [...l]);
    if (this.lists.length !== points.length) {
      throw new Error(`candidate lists for ${this.lists.length} choice points, the space has ${points.length}`);
    }
    this.lists.forEach((list, i) => {
      if (list.length === 0) throw new Error(`choice point ${points[i].id} has no candidate left`);
      for (const op of list) {
        if (!points[i].candidates.includes(op)) {
          throw new Error(`choice point ${points[i].id}: '${op}' is not one of ${points[i].candidates.join(', ')}`);
        }
      }
    });
  }

  /** Number of child models: the product of candidate counts. */
  size(): number {
    return this.lists.reduce((s, l) => s * l.length, 1);
  }

  has(o: Operator): boolean {
    return this.lists[o.point].includes(o.op);
  }

  /** Operators at choice points that still have a choice (the ones ABS scores). */
  scorableOperators(): Operator[] {
    const ops: Operator[] = [];
    this.lists.forEach((list, point) => {
      if (list.length > 1) for (const op of list) ops.push({ point, op });
    });
    return ops;
  }

  allOperators(): Operator[] {
    return this.lists.flatMap((list, point) => list.map((op) => ({ point, op })));
  }

  without(dropped: readonly Operator[]): CandidateSet {
    const lists = this.lists.map((l) => [...l]);
    for (const d of dropped) {
      const i = lists[d.point].indexOf(d.op);
      if (i < 0) throw new Error(`cannot drop ${d.op} at ${this.points[d.point].id}: not a remaining candidate`);
      if (lists[d.point].length === 1) throw new Error(`cannot drop the last candidate of ${this.points[d.point].id}`);
      lists[d.point].splice(i, 1);
    }
    return new CandidateSet(this.points, lists);
  }

  contains(arch: Architecture): boolean {
    return arch.length === this.lists.length && arch.every((op, i) => this.lists[i].includes(op));
  }

  /** Uniform child, optionally with one operator fixed. */
  sampleUniform(rng: Rng, fixed?: Operator): Architecture {
    return this.lists.map((l, i) => (fixed && fixed.point === i ? fixed.op : rng.pick(l)));
  }

  /** Every child, in mixed-radix order (last choice point fastest). */
  *enumerate(): Generator<Architecture> {
    const idx = this.lists.map(() => 0);
    const n = this.size();
    for (let k = 0; k < n; k++) {
      // a loop of pushes, not idx.map: map's result is holey when it runs in
      // the interpreter and packed once optimized, and that change of shape
      // sends the optimized code of whoever scores the children back to the
      // interpreter halfway through
      const arch: string[] = [];
      for (let i = 0; i < idx.length; i++) arch.push(this.lists[i][idx[i]]);
      yield arch;
      for (let i = idx.length - 1; i >= 0; i--) {
        idx[i]++;
        if (idx[i] < this.lists[i].length) break;
        idx[i] = 0;
      }
    }
  }

  toJSON(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    this.points.forEach((p, i) => (out[p.id] = [...this.lists[i]]));
    return out;
  }

  static fromJSON(points: readonly ChoicePoint[], json: Record<string, string[]>): CandidateSet {
    const ids = points.map((p) => p.id);
    for (const k of Object.keys(json)) {
      if (!ids.includes(k)) throw new Error(`unknown choice point '${k}' (expected one of ${ids.join(', ')})`);
    }
    return new CandidateSet(
      points,
      points.map((p) => {
        const l = json[p.id];
        if (!Array.isArray(l)) throw new Error(`choice point '${p.id}' is missing`);
        return l;
      }),
    );
  }
}
