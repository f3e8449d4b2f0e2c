import { CandidateSet, ChoicePoint, SearchSpace } from '@absnas/core';
import { keepStrongest, pdartsDerive, skipDropoutRate, skipScope } from '../src/pdarts';

const OPS = ['none', 'max_pool_3x3', 'skip_connect', 'sep_conv_3x3'];
/** A stand-in space: 2 "normal" and 2 "reduce" choice points, derived by argmax (as NB201). */
function toySpace(): SearchSpace {
  const choicePoints: ChoicePoint[] = ['normal:a', 'normal:b', 'reduce:a', 'reduce:b'].map((id) => ({ id, candidates: OPS }));
  return { choicePoints } as unknown as SearchSpace;
}

describe('PDARTS', () => {
  it('keeps the strongest candidates of every choice point, in the space order', () => {
    const space = toySpace();
    const c = new CandidateSet(space.choicePoints, [OPS, OPS, ['none', 'skip_connect'], OPS]);
    const stage = {
      ops: c.lists.map((l) => [...l]),
      probabilities: [
        [0.1, 0.4, 0.2, 0.3],
        [0.25, 0.25, 0.25, 0.25],
        [0.9, 0.1],
        [0.4, 0.3, 0.2, 0.1],
      ],
    };
    expect(keepStrongest(c, stage, 2).lists).toEqual([
      ['max_pool_3x3', 'sep_conv_3x3'],
      ['none', 'max_pool_3x3'], // ties: the earlier candidate
      ['none', 'skip_connect'],
      ['none', 'max_pool_3x3'],
    ]);
  });

  it("derives without 'none' and with at most maxSkip skip-connections in the scope, dropping the weakest first", () => {
    const space = toySpace();
    const w = [
      Float32Array.from([0.5, 0.1, 0.3, 0.1]), // none strongest: zeroed -> skip (0.3)
      Float32Array.from([0, 0.2, 0.5, 0.3]), // skip (0.5)
      Float32Array.from([0, 0, 1, 0]), // reduce: skip, outside the scope
      Float32Array.from([0, 0, 1, 0]),
    ];
    const o = { maxSkip: 2, skipOp: 'skip_connect', skipScope: 'normal:', noneOp: 'none' };
    expect(pdartsDerive(space, w, o)).toEqual(['skip_connect', 'skip_connect', 'skip_connect', 'skip_connect']);
    // one allowed: the weaker skip (point a, 0.3) gives way to its next best (max_pool 0.1 vs sep 0.1: the first)
    expect(pdartsDerive(space, w, { ...o, maxSkip: 1 })).toEqual(['max_pool_3x3', 'skip_connect', 'skip_connect', 'skip_connect']);
    expect(pdartsDerive(space, w, { ...o, maxSkip: 0 })).toEqual(['max_pool_3x3', 'sep_conv_3x3', 'skip_connect', 'skip_connect']);
    // a scope that matches nothing limits every choice point; a point with nothing but skip keeps it
    expect(skipScope(space, 'cell:')).toEqual([0, 1, 2, 3]);
    expect(pdartsDerive(space, w, { ...o, maxSkip: 0, skipScope: 'cell:' })).toEqual(['max_pool_3x3', 'sep_conv_3x3', 'skip_connect', 'skip_connect']);
    // the input is not changed
    expect(Array.from(w[0])).toEqual([0.5, 0.1, 0.3, 0.1].map(Math.fround));
  });

  it('decays the skip dropout as PDARTS: linear during the warm-up, exponential after it', () => {
    expect(skipDropoutRate(0.4, 0, 25, 10, 0.2)).toBeCloseTo((0.4 * 24) / 25, 12);
    expect(skipDropoutRate(0.4, 9, 25, 10, 0.2)).toBeCloseTo((0.4 * 15) / 25, 12);
    expect(skipDropoutRate(0.4, 10, 25, 10, 0.2)).toBeCloseTo(0.4, 12);
    expect(skipDropoutRate(0.4, 15, 25, 10, 0.2)).toBeCloseTo(0.4 * Math.exp(-1), 12);
    expect(skipDropoutRate(0, 3, 25, 10, 0.2)).toBe(0);
  });
});
