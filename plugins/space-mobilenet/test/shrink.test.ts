import {
  Architecture,
  CandidateSet,
  HookBus,
  loadSynthetic,
  Metric,
  ParamStore,
  Rng,
  ShrinkConfig,
  Shrinker,
  standaloneServices,
  TrainConfig,
  WeightSnapshot,
} from '@absnas/core';
import { epochCountingTrainer, weightlessSupernet } from '../../../test/fixtures/shrink';
import { IDENTITY, MobileNetSpace } from '../src/index';

/**
 * The core Shrinker over the full-scale spaces with a cheap additive metric
 * (no supernet): every operator has a fixed worth. A hook on the operator
 * scores then makes every op of layer 0 the worst of the round, so a global
 * policy that could empty a layer would.
 */
const worth = (point: number, op: string): number => ((op.length * 7 + op.charCodeAt(1) * 3 + point * 5) % 13) / 13;

const metric: Metric = {
  name: 'additive',
  prepare: async () => ({ score: (a: Architecture) => a.reduce((s, op, i) => s + worth(i, op), 0) }),
};

let snapshots = 0;

/** No weights: the shrinker only takes (and here counts) snapshots of them as W0. */
class CountingStore extends ParamStore {
  override read(names?: Iterable<string>): Promise<WeightSnapshot> {
    snapshots++;
    return super.read(names);
  }
}

const supernet = weightlessSupernet(new CountingStore(new Rng(0)));

const data = loadSynthetic({ trainSize: 8, valSize: 8, testSize: 8, rng: new Rng(0) });

function shrinkConfig(over: Partial<ShrinkConfig>): ShrinkConfig {
  return {
    enabled: true,
    metric: { plugin: 'x', options: {} },
    threshold: 1e6,
    policy: { kind: 'global', count: 7 },
    epochsBeforeFirstRound: 100,
    epochsPerRound: 5,
    childrenPerOperator: 4,
    enumerateUpTo: 0,
    retakeBaseAfterDrops: 0,
    maxRounds: 50,
    train: {} as TrainConfig,
    ...over,
  };
}

async function shrink(space: MobileNetSpace, cfg: ShrinkConfig): Promise<{ sizes: number[]; lists: string[][][]; result: Awaited<ReturnType<Shrinker['run']>> }> {
  const hooks = new HookBus();
  const sizes: number[] = [];
  const lists: string[][][] = [];
  hooks.tap('onOperatorScores', 'layer0-worst', (scores) => scores.map((o) => (o.point === 0 ? { ...o, score: -100 } : o)));
  hooks.tap('onShrinkRound', 'probe', (r) => {
    sizes.push(r.sizeAfter);
    lists.push(r.candidates.lists.map((l) => [...l]));
  });
  const shrinker = new Shrinker({ config: cfg, space, metric, data, rng: new Rng(1) }, standaloneServices({ hooks }));
  const result = await shrinker.run(supernet, epochCountingTrainer(), new CandidateSet(space.choicePoints));
  return { sizes, lists, result };
}

describe('ABS shrinking over the MobileNet spaces (core Shrinker, reference drop rules)', () => {
  it('SPOS: global lowest-7 per round down to 1e6 children, never a layer\'s last op; W0 re-taken once after 50 drops', async () => {
    const space = new MobileNetSpace({ variant: 'spos' });
    const start = new CandidateSet(space.choicePoints).size();
    snapshots = 0;
    const { sizes, lists, result } = await shrink(space, shrinkConfig({ policy: { kind: 'global', count: 7 }, retakeBaseAfterDrops: 50 }));
    expect(result.candidates.size()).toBeLessThanOrEqual(1e6);
    expect([start, ...sizes].slice(0, -1).every((s) => s > 1e6)).toBe(true);
    for (let i = 0; i < sizes.length; i++) expect(sizes[i]).toBeLessThan(i === 0 ? start : sizes[i - 1]);
    for (const round of result.rounds) expect(round.dropped.length).toBe(7);
    // layer 0 is the worst everywhere: it is emptied down to its last op, and kept there
    for (const l of lists) for (const list of l) expect(list.length).toBeGreaterThanOrEqual(1);
    expect(result.candidates.lists[0]).toHaveLength(1);
    // more than 50 drops after round 8 (56): W0 re-taken then, and only then
    expect(result.rounds.map((r) => r.baseRetaken)).toEqual(result.rounds.map((r) => r.round === 8));
    expect(snapshots).toBe(2);
    // epochs: 100 before the first round, 5 between rounds
    expect(result.rounds.map((r) => r.epochs)).toEqual(result.rounds.map((r) => 100 + 5 * (r.round - 1)));
  });

  it('FairNAS: one op per layer per round keeps the counts equal: 6^19 -> 5^19 -> 4^19 -> 3^19 -> 2^19', async () => {
    const space = new MobileNetSpace({ variant: 'fairnas' });
    const { sizes, lists, result } = await shrink(space, shrinkConfig({ policy: { kind: 'per-choice', count: 1 } }));
    expect(sizes).toEqual([5 ** 19, 4 ** 19, 3 ** 19, 2 ** 19]);
    lists.forEach((l, r) => expect(l.every((list) => list.length === 5 - r)).toBe(true));
    expect(result.candidates.size()).toBe(524288);
  });

  it('scores with the FLOPs cap on (SPOS 600M at 224): every scored child is inside the cap and the remaining space', async () => {
    const space = new MobileNetSpace({ variant: 'spos', maxFlops: 600e6 });
    const input = { height: 224, width: 224, channels: 3, numClasses: 1000 };
    space.bindInput(input);
    const seen: Architecture[] = [];
    const recording: Metric = {
      name: 'recording',
      prepare: async (ctx) => ({
        score: (a: Architecture) => {
          if (!ctx.candidates.contains(a)) throw new Error(`scored a child outside the remaining space: ${a}`);
          seen.push(a);
          return a.reduce((s, op, i) => s + worth(i, op), 0);
        },
      }),
    };
    const shrinker = new Shrinker({ config: shrinkConfig({ threshold: 1e12 }), space, metric: recording, data, rng: new Rng(2) }, standaloneServices());
    const result = await shrinker.run(supernet, epochCountingTrainer(), new CandidateSet(space.choicePoints));
    expect(result.rounds.length).toBeGreaterThan(1);
    expect(seen.length).toBeGreaterThan(500);
    for (const a of seen) expect(space.cost(a, input).flops).toBeLessThanOrEqual(600e6);
  });
});
