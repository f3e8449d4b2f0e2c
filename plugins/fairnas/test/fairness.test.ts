import {
  Architecture,
  CandidateSet,
  ChoicePoint,
  loadSynthetic,
  ParamStore,
  Rng,
  SearchSpace,
  standaloneServices,
  Supernet,
  SupernetTrainer,
  tf,
  TrainConfig,
} from '@absnas/core';
import defaultExport, { fairPaths, fairSampler, FairnasSearcher, plugin } from '../src/index';

const OPS = ['a', 'b', 'c', 'd'];

function counts(paths: readonly Architecture[], layer: number): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of paths) m.set(p[layer], (m.get(p[layer]) ?? 0) + 1);
  return m;
}

describe('fairPaths', () => {
  const points: ChoicePoint[] = Array.from({ length: 5 }, (_, i) => ({ id: `layer${i}`, candidates: OPS }));

  it('runs every candidate of every layer exactly once per step, in a fresh order each step', () => {
    const c = new CandidateSet(points).without([{ point: 0, op: 'a' }, { point: 1, op: 'd' }, { point: 2, op: 'b' }, { point: 3, op: 'c' }, { point: 4, op: 'a' }]);
    const rng = new Rng(1);
    const orders = new Set<string>();
    for (let step = 0; step < 50; step++) {
      const paths = fairPaths(c, rng);
      expect(paths).toHaveLength(3);
      for (const p of paths) expect(c.contains(p)).toBe(true);
      c.lists.forEach((list, layer) => expect([...counts(paths, layer).entries()].sort()).toEqual(list.map((op) => [op, 1]).sort()));
      orders.add(paths.map((p) => p.join('')).join('|'));
    }
    expect(orders.size).toBeGreaterThan(40);
  });

  it('cycles a layer with fewer candidates, so that its candidates run equally often up to one', () => {
    const c = new CandidateSet(points).without([
      { point: 1, op: 'a' },
      { point: 2, op: 'a' },
      { point: 2, op: 'b' },
      { point: 3, op: 'a' },
      { point: 3, op: 'b' },
      { point: 3, op: 'c' },
    ]);
    const rng = new Rng(2);
    for (let step = 0; step < 20; step++) {
      const paths = fairPaths(c, rng);
      expect(paths).toHaveLength(4);
      expect([...counts(paths, 0).values()]).toEqual([1, 1, 1, 1]);
      const l1 = counts(paths, 1);
      expect([...l1.keys()].sort()).toEqual(['b', 'c', 'd']);
      expect(Math.max(...l1.values()) - Math.min(...l1.values())).toBeLessThanOrEqual(1);
      expect([...counts(paths, 2).values()]).toEqual([2, 2]);
      expect([...counts(paths, 3).entries()]).toEqual([['d', 4]]);
    }
  });
});

/**
 * A recording supernet: one scalar weight per (layer, candidate); the logits
 * scale a pooled feature by the sum of the chosen weights, so every path's
 * weights get a gradient. Every forward records its path.
 */
class RecordingSupernet implements Supernet {
  readonly store = new ParamStore(new Rng(0));
  readonly forwards: Architecture[] = [];

  constructor(readonly points: readonly ChoicePoint[], readonly numClasses: number) {
    points.forEach((p, i) => p.candidates.forEach((op, k) => this.store.constant(`w.${i}.${op}`, [1], 0.1 + 0.01 * k)));
  }

  forward(x: tf.Tensor4D, arch: Architecture): tf.Tensor2D {
    this.forwards.push([...arch]);
    return tf.tidy(() => {
      const feat = tf.mean(x, [1, 2, 3]);
      const s = tf.addN(arch.map((op, i) => this.store.get(`w.${i}.${op}`)));
      const dirs = tf.tensor1d(Array.from({ length: this.numClasses }, (_, k) => (k % 2 ? -1 : 1) * (k + 1)));
      return tf.outerProduct(tf.mul(feat, s) as tf.Tensor1D, dirs) as tf.Tensor2D;
    });
  }

  paramsOf(arch: Architecture): string[] {
    return arch.map((op, i) => `w.${i}.${op}`);
  }

  resetBatchNormStats(): void {}

  dispose(): void {
    this.store.dispose();
  }
}

describe('a FairNAS training step (core trainer, recording supernet)', () => {
  it('gives every candidate of every layer exactly one forward/backward, then ONE optimizer step with all their gradients', async () => {
    const points: ChoicePoint[] = Array.from({ length: 4 }, (_, i) => ({ id: `layer${i}`, candidates: OPS }));
    const candidates = new CandidateSet(points);
    const data = loadSynthetic({ trainSize: 64, valSize: 8, testSize: 8, rng: new Rng(3) });
    const supernet = new RecordingSupernet(points, data.input.numClasses);
    const cfg: TrainConfig = {
      batchSize: 8,
      learningRate: 0.1,
      minLearningRate: 0,
      schedule: 'constant',
      momentum: 0,
      nesterov: false,
      weightDecay: 0,
      gradientClip: 0,
      stepsPerEpoch: 3,
      augment: false,
      labelSmoothing: 0,
    };
    const trainer = new SupernetTrainer(supernet, { data, train: cfg, rng: new Rng(4), phase: 'search' }, standaloneServices());
    const steps: { paths: Architecture[]; grads: string[] }[] = [];
    let seen = 0;
    const realStep = trainer.sgd.step.bind(trainer.sgd);
    trainer.sgd.step = (params, grads, lr) => {
      steps.push({ paths: supernet.forwards.slice(seen), grads: Object.keys(grads).sort() });
      seen = supernet.forwards.length;
      realStep(params, grads, lr);
    };
    await trainer.train(1, 1, fairSampler({} as SearchSpace, candidates));
    expect(steps).toHaveLength(3);
    for (const { paths, grads } of steps) {
      expect(paths).toHaveLength(4);
      points.forEach((_, layer) => expect([...counts(paths, layer).entries()].sort()).toEqual(OPS.map((op) => [op, 1])));
      // one optimizer step carrying the (accumulated) gradients of every candidate's weights
      expect(grads).toEqual([...supernet.store.params.keys()].sort());
    }
    trainer.dispose();
    supernet.dispose();
  });
});

describe('the plugin object', () => {
  it('is a searcher for chain spaces with a FLOPs window', () => {
    expect(defaultExport).toBe(plugin);
    expect(plugin.name).toBe('@absnas/fairnas');
    expect(plugin.kind).toBe('searcher');
    expect(plugin.schema).toMatchObject({ properties: { minFlops: { default: 0 }, maxFlops: { default: 0 } } });
    const searcher = new FairnasSearcher({} as never);
    expect(searcher.name).toBe('fairnas');
    expect(searcher.requirements.spaceKinds).toEqual(['chain']);
  });
});
