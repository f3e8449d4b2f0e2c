import {
  CandidateSet,
  HOOKS,
  HookBus,
  Metric,
  OperatorScore,
  ParamStore,
  Rng,
  ShrinkConfig,
  Shrinker,
  TrainConfig,
  loadSynthetic,
  standaloneServices,
} from '@absnas/core';
import { epochCountingTrainer, weightlessSupernet } from '../../../test/fixtures/shrink';
import { container } from 'tsyringe';
import plugin from '../src/index';
import { mirrorDrops, tieCellScores } from '../src/sampling';
import { DartsSpace } from '../src/space';
import { DARTS_OPS, NUM_EDGES } from '../src/topology';

/**
 * The ABS DARTS reference's drop and stop rules through the real Shrinker
 * and the space's own hooks: a hand-made score table replaces the metric's
 * scores ('pre' hook, before the space ties the two cell types), so every
 * drop is known in advance.
 */
const space = new DartsSpace();
const data = loadSynthetic({ trainSize: 8, valSize: 8, testSize: 8, rng: new Rng(0) });

/** The hand-made table: on edge e, op k (DARTS_OPS order) is worth (k * 5 + e * 3) mod 8, a permutation of 0..7; 'none' (k = 0) is the worst op of edges 0 and 8 and the best of edges 5 and 13. */
const worth = (edge: number, op: string): number => (DARTS_OPS.indexOf(op as (typeof DARTS_OPS)[number]) * 5 + edge * 3) % 8;

const metric: Metric = { name: 'zero', prepare: async () => ({ score: () => 0 }) };

function config(dropAbsent: boolean, threshold: number): ShrinkConfig {
  return {
    enabled: true,
    metric: { plugin: 'x', options: {} },
    threshold,
    policy: { kind: 'per-choice', count: 1, dropAbsent },
    epochsBeforeFirstRound: 0,
    epochsPerRound: 1,
    childrenPerOperator: 1,
    enumerateUpTo: 0,
    retakeBaseAfterDrops: 0,
    maxRounds: 50,
    train: {} as TrainConfig,
  };
}

/** Shrink the full DARTS space with the space's hooks and the table's scores (normal cell as in the table, reduction cell 1 higher). */
async function shrink(dropAbsent: boolean, threshold: number) {
  const child = container.createChildContainer();
  const hooks = new HookBus();
  child.registerInstance(HOOKS, hooks);
  hooks.tap(
    'onOperatorScores',
    'table',
    (scores: OperatorScore[]) => scores.map((s) => ({ ...s, score: worth(s.point % NUM_EDGES, s.op) + (s.point < NUM_EDGES ? 0 : 1) })),
    'pre',
  );
  plugin.register(child, {});
  const shrinker = new Shrinker({ config: config(dropAbsent, threshold), space, metric, data, rng: new Rng(1) }, standaloneServices({ hooks }));
  return shrinker.run(weightlessSupernet(new ParamStore(new Rng(0))), epochCountingTrainer(), new CandidateSet(space.choicePoints));
}

/** The `keep` best ops of an edge by the table, in the space's order. */
const best = (edge: number, keep: number): string[] =>
  DARTS_OPS.filter((op) => [...DARTS_OPS].sort((a, b) => worth(edge, b) - worth(edge, a)).slice(0, keep).includes(op));

describe('ABS on the DARTS space with the reference drop and stop rules', () => {
  it("drops one operator per edge per round, 'none' included, until (1e6)^2: 6 rounds, 2 operators per edge", async () => {
    const result = await shrink(true, 1e12);
    expect(result.rounds).toHaveLength(6);
    expect(result.rounds.map((r) => r.dropped.length)).toEqual(Array(6).fill(28));
    expect(result.candidates.size()).toBe(2 ** 28);
    for (let p = 0; p < 2 * NUM_EDGES; p++) expect(result.candidates.lists[p]).toEqual(best(p % NUM_EDGES, 2));
    // 'none' is the worst op of edges 0 and 8 (worth 0): dropped there in round 1, on both cell types
    expect(result.rounds[0].dropped.filter((d) => d.op === 'none').map((d) => d.choicePoint).sort()).toEqual([
      'normal:2<-0',
      'normal:4<-3',
      'reduce:2<-0',
      'reduce:4<-3',
    ]);
    expect(result.candidates.lists[5]).toContain('none');
    // every edge loses its ops from the worst up, one a round, the same on both cell types
    for (let e = 0; e < NUM_EDGES; e++) {
      const order = [...DARTS_OPS].sort((a, b) => worth(e, a) - worth(e, b));
      result.rounds.forEach((r, i) => {
        const here = r.dropped.filter((d) => d.choicePoint === space.choicePoints[e].id || d.choicePoint === space.choicePoints[e + NUM_EDGES].id);
        expect(here.map((d) => d.op)).toEqual([order[i], order[i]]);
      });
    }
  });

  it("keeps 'none' and the last real operator without dropAbsent", async () => {
    const result = await shrink(false, 1e12);
    for (const list of result.candidates.lists) expect(list).toContain('none');
    // 7 real operators per edge, one per round, down to one: 6 rounds, then nothing is left to drop
    expect(result.candidates.lists.every((l) => l.length === 2)).toBe(true);
    expect(result.rounds).toHaveLength(6);
  });

  it('the hooks tie and mirror drops of none when dropAbsent, never emptying an edge', () => {
    const all = new CandidateSet(space.choicePoints);
    const scores = all.scorableOperators().map((o) => ({ ...o, score: o.op === 'none' ? (o.point < NUM_EDGES ? -2 : 0) : 1, children: 1 }));
    const tied = tieCellScores(scores, all, true);
    expect(tied.filter((s) => s.op === 'none').map((s) => s.score)).toEqual(Array(28).fill(-1));
    expect(mirrorDrops([{ point: 4, op: 'none' }], all, true)).toEqual([
      { point: 4, op: 'none' },
      { point: 18, op: 'none' },
    ]);
    expect(mirrorDrops([{ point: 4, op: 'none' }], all, false)).toEqual([]);
    const last = new CandidateSet(space.choicePoints, space.choicePoints.map((p, i) => (i % NUM_EDGES === 1 ? ['none', 'sep_conv_3x3'] : p.candidates)));
    // with one real op left, 'none' may go and leave it; the real op may go and leave 'none'; not both
    expect(mirrorDrops([{ point: 1, op: 'sep_conv_3x3' }, { point: 1, op: 'none' }], last, true)).toEqual([
      { point: 1, op: 'sep_conv_3x3' },
      { point: 15, op: 'sep_conv_3x3' },
    ]);
    expect(tieCellScores(last.scorableOperators().map((o) => ({ ...o, score: 0, children: 1 })), last, true).filter((s) => s.point === 1)).toHaveLength(2);
  });
});
