import * as tf from '@tensorflow/tfjs';
import { ShrinkConfig, TrainConfig } from '../../src/config/types';
import { validateCoreConfig } from '../../src/config/validate';
import { loadSynthetic } from '../../src/data/synthetic';
import { HookBus } from '../../src/hooks/hooks';
import { Metric } from '../../src/metric/metric';
import { ParamStore } from '../../src/nn/params';
import { standaloneServices } from '../../src/services/run-services';
import { Shrinker, ShrinkTrainer } from '../../src/shrink/shrinker';
import { CandidateSet, Operator } from '../../src/space/candidates';
import { Architecture, ChildCost, SearchSpace, Supernet, WeightLayout } from '../../src/space/search-space';
import { Rng } from '../../src/util/rng';

const OPS = ['o0', 'o1', 'o2', 'o3', 'o4'];
const points = Array.from({ length: 4 }, (_, i) => ({ id: `p${i}`, candidates: OPS }));
// An additive child score: every operator has a known worth, so the right drops are known.
const worth = (point: number, op: string): number => ((OPS.indexOf(op) * 7 + point * 3) % 11) / 10;

/** A supernet without weights: the shrinker reads its (empty) weights, the additive metric never runs it. */
class WeightlessSupernet implements Supernet {
  readonly store = new ParamStore(new Rng(0));
  forward(): tf.Tensor2D {
    throw new Error('the toy supernet is never run');
  }
  paramsOf(): string[] {
    return [];
  }
  resetBatchNormStats(): void {}
  dispose(): void {}
}

/** A chain of 4 choice points of 5 operators, sampled uniformly; nothing else of it is used here. */
class ToySpace implements SearchSpace {
  readonly name = 'toy';
  readonly kind = 'chain' as const;
  readonly choicePoints = points;
  parse(text: string): Architecture {
    return text.split('|');
  }
  format(arch: Architecture): string {
    return arch.join('|');
  }
  sample(c: CandidateSet, rng: Rng, fixed?: Operator): Architecture {
    return c.sampleUniform(rng, fixed);
  }
  createSupernet(): Supernet {
    return new WeightlessSupernet();
  }
  cost(): ChildCost {
    return { params: 0, flops: 0 };
  }
  weightLayout(): WeightLayout {
    return { segments: [], allPathsCut: false };
  }
}

const space = new ToySpace();
const data = loadSynthetic({ trainSize: 8, valSize: 8, testSize: 8, rng: new Rng(0) });

const metric: Metric = {
  name: 'additive',
  prepare: async () => ({ score: (a: Architecture) => a.reduce((s, op, i) => s + worth(i, op), 0) }),
};

const supernet = space.createSupernet();

/** A trainer that only counts the epochs it is asked for. */
function fakeTrainer(): ShrinkTrainer & { calls: number[] } {
  const t = {
    epochsDone: 0,
    calls: [] as number[],
    async train(epochs: number) {
      t.calls.push(epochs);
      t.epochsDone += epochs;
      return { stopped: false };
    },
  };
  return t;
}

function config(over: Partial<ShrinkConfig>): ShrinkConfig {
  return {
    enabled: true,
    metric: { plugin: 'x', options: {} },
    threshold: 16,
    policy: { kind: 'global', count: 3 },
    epochsBeforeFirstRound: 2,
    epochsPerRound: 1,
    childrenPerOperator: 200,
    enumerateUpTo: 100000,
    retakeBaseAfterDrops: 0,
    maxRounds: 50,
    train: {} as TrainConfig,
    ...over,
  };
}

function shrinker(cfg: ShrinkConfig, hooks = new HookBus()): Shrinker {
  return new Shrinker({ config: cfg, space, metric, data, rng: new Rng(1) }, standaloneServices({ hooks }));
}

describe('Shrinker', () => {
  it('drops the truly worst operators round by round until the size threshold', async () => {
    const hooks = new HookBus();
    const sizes: number[] = [];
    hooks.tap('onShrinkRound', 'test', (r) => void sizes.push(r.sizeAfter));
    const trainer = fakeTrainer();
    const result = await shrinker(config({}), hooks).run(supernet, trainer, new CandidateSet(points));
    expect(result.candidates.size()).toBeLessThanOrEqual(16);
    expect(sizes).toEqual(result.rounds.map((r) => r.sizeAfter));
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeLessThan(sizes[i - 1]);
    // additive scores: an operator's mean child score ranks it exactly as its worth
    const kept = result.candidates.lists;
    kept.forEach((list, p) => {
      const keptWorst = Math.min(...list.map((op) => worth(p, op)));
      const droppedBest = Math.max(-1, ...OPS.filter((o) => !list.includes(o)).map((op) => worth(p, op)));
      expect(keptWorst).toBeGreaterThanOrEqual(droppedBest);
    });
    // training: warm-up then one block per further round
    expect(trainer.calls).toEqual([2, ...Array(result.rounds.length - 1).fill(1)]);
  });

  it('sampled scores rank an additive metric like enumeration does', async () => {
    const c = new CandidateSet(points);
    const exact = await shrinker(config({})).scoreOperators(supernet, c, new Map(), 1);
    const sampled = await shrinker(config({ enumerateUpTo: 10, childrenPerOperator: 400 })).scoreOperators(supernet, c, new Map(), 1);
    const order = (s: typeof exact) => [...s].sort((a, b) => a.score - b.score).map((x) => `${x.point}:${x.op}`);
    // within a choice point, differences of worth are >= 0.1; sampling noise on the rest is far smaller
    for (let p = 0; p < 4; p++) {
      const inPoint = (s: typeof exact) => order(s).filter((k) => k.startsWith(`${p}:`));
      expect(inPoint(sampled)).toEqual(inPoint(exact));
    }
    expect(exact.every((s) => s.children === 625 / 5 * 1)).toBe(true);
  });

  it('shared children: each drawn once, counted for every operator they hold, the first childrenPerOperator of each', async () => {
    const scored: Architecture[] = [];
    const recording: Metric = {
      name: 'recording',
      prepare: async () => ({
        score: (a: Architecture) => {
          scored.push(a);
          return a.reduce((s, op, i) => s + worth(i, op), 0);
        },
      }),
    };
    const cfg = config({ enumerateUpTo: 10, childrenPerOperator: 50, shareChildren: true });
    const c = new CandidateSet(points);
    const scores = await new Shrinker({ config: cfg, space, metric: recording, data, rng: new Rng(1) }, standaloneServices()).scoreOperators(supernet, c, new Map(), 1);
    const keys = scored.map((a) => a.join('|'));
    expect(new Set(keys).size).toBe(keys.length);
    // far fewer than 20 operators x 50: the first operator's children already hold the others
    expect(scored.length).toBeLessThan(400);
    expect(scored.length).toBeGreaterThanOrEqual(50);
    for (const s of scores) {
      const holding = scored.filter((a) => a[s.point] === s.op).slice(0, 50);
      expect(s.children).toBe(50);
      const mean = holding.reduce((sum, a) => sum + a.reduce((t, op, i) => t + worth(i, op), 0), 0) / holding.length;
      expect(s.score).toBeCloseTo(mean, 12);
    }
  });

  it('shareChildren is validated by the config schema', () => {
    const minimal = { space: { plugin: '@absnas/space-nb201' } };
    expect(validateCoreConfig(minimal, 'x.json').shrink.shareChildren).toBe(false);
    expect(() => validateCoreConfig({ ...minimal, shrink: { shareChildren: 'yes' } }, 'x.json')).toThrow(/shareChildren/);
  });

  it('a drop-list hook can veto dropping, which ends shrinking', async () => {
    const hooks = new HookBus();
    hooks.tap('onDropList', 'veto', () => []);
    const result = await shrinker(config({}), hooks).run(supernet, fakeTrainer(), new CandidateSet(points));
    expect(result.rounds).toHaveLength(0);
    expect(result.candidates.size()).toBe(625);
  });

  it('per-choice policy keeps candidate counts equal across choice points', async () => {
    const result = await shrinker(config({ policy: { kind: 'per-choice', count: 1 }, threshold: 16 })).run(supernet, fakeTrainer(), new CandidateSet(points));
    expect(result.candidates.lists.map((l) => l.length)).toEqual([2, 2, 2, 2]);
    expect(result.rounds).toHaveLength(3);
  });

  it('estimates the number of rounds of a policy', () => {
    expect(shrinker(config({ policy: { kind: 'per-choice', count: 1 } })).estimateRounds(new CandidateSet(points))).toBe(3);
  });
});
