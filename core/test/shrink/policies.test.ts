import { OperatorScore } from '../../src/hooks/hooks';
import { chooseDrops } from '../../src/shrink/policies';
import { CandidateSet } from '../../src/space/candidates';

const points = [
  { id: 'e0', candidates: ['a', 'b', 'c'] },
  { id: 'e1', candidates: ['a', 'b', 'c'] },
  { id: 'e2', candidates: ['a', 'b'] },
];

function scored(c: CandidateSet, table: Record<string, number>): OperatorScore[] {
  return c.scorableOperators().map((o) => ({ ...o, score: table[`${o.point}:${o.op}`], children: 1 }));
}

describe('drop policies', () => {
  it('global drops the lowest k overall but never a choice point\'s last operator', () => {
    const c = new CandidateSet(points, [['a', 'b', 'c'], ['a', 'b', 'c'], ['a', 'b']]);
    // e2 has both lowest scores: only one of them may go
    const s = scored(c, { '0:a': 5, '0:b': 6, '0:c': 7, '1:a': 3, '1:b': 8, '1:c': 9, '2:a': 1, '2:b': 2 });
    const drops = chooseDrops({ kind: 'global', count: 3 }, s, c);
    expect(drops).toEqual([{ point: 2, op: 'a' }, { point: 1, op: 'a' }, { point: 0, op: 'a' }]);
    const after = c.without(drops);
    expect(after.lists).toEqual([['b', 'c'], ['b', 'c'], ['b']]);
  });

  it('global with a large count empties nothing', () => {
    const c = new CandidateSet(points);
    const s = scored(c, { '0:a': 1, '0:b': 1, '0:c': 1, '1:a': 1, '1:b': 1, '1:c': 1, '2:a': 1, '2:b': 1 });
    const drops = chooseDrops({ kind: 'global', count: 100 }, s, c);
    expect(drops).toHaveLength(5);
    expect(c.without(drops).size()).toBe(1);
  });

  it('per-choice drops the lowest in every choice point that has a choice', () => {
    const c = new CandidateSet(points, [['a', 'b', 'c'], ['a', 'b', 'c'], ['b']]);
    const s = scored(c, { '0:a': 5, '0:b': 1, '0:c': 7, '1:a': 3, '1:b': 8, '1:c': 0.5 });
    expect(chooseDrops({ kind: 'per-choice', count: 1 }, s, c)).toEqual([{ point: 1, op: 'c' }, { point: 0, op: 'b' }]);
    expect(chooseDrops({ kind: 'per-choice', count: 5 }, s, c)).toHaveLength(4);
  });

  it('breaks ties by choice point then candidate order', () => {
    const c = new CandidateSet(points);
    const s = scored(c, { '0:a': 1, '0:b': 1, '0:c': 1, '1:a': 1, '1:b': 1, '1:c': 1, '2:a': 1, '2:b': 1 });
    expect(chooseDrops({ kind: 'global', count: 2 }, s, c)).toEqual([{ point: 0, op: 'a' }, { point: 0, op: 'b' }]);
  });
});
