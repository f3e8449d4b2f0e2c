import {
  Architecture,
  CandidateSet,
  DataSplits,
  ForwardMode,
  ImageSet,
  InputSpec,
  Mixture,
  ParamStore,
  Rng,
  SearchSpace,
  ShrinkConfig,
  Shrinker,
  standaloneServices,
  Supernet,
  SupernetTrainer,
  TrainConfig,
  tf,
} from '@absnas/core';
import { MagnitudeMetric, maskedSoftmax, plugin, straightThroughWeights } from '../src';

describe('straight-through weights', () => {
  it('are 1 in the forward pass, with the gradient of softmax(alpha)[k] (hand-computed, float64)', () => {
    const a = [0.3, -0.2];
    const c = 2.5;
    const alpha = tf.variable(tf.tensor2d([a]), true, 'st-test-alpha');
    const mask = tf.zeros([1, 2]) as tf.Tensor2D;
    let forward = NaN;
    const { grads } = tf.variableGrads(() => {
      const [w] = straightThroughWeights(alpha as tf.Tensor2D, mask, [1]);
      forward = w.dataSync()[0];
      return tf.mul(tf.sum(w), c) as tf.Scalar;
    }, [alpha]);
    expect(forward).toBe(1);
    // d/da_j of c * s_1 = c * s_1 * (delta_1j - s_j)
    const e0 = Math.exp(a[0]);
    const e1 = Math.exp(a[1]);
    const s0 = e0 / (e0 + e1);
    const s1 = e1 / (e0 + e1);
    const want = [-c * s1 * s0, c * s1 * (1 - s1)];
    const got = Array.from(grads[alpha.name].dataSync());
    expect(Math.abs(got[0] - want[0])).toBeLessThan(1e-6);
    expect(Math.abs(got[1] - want[1])).toBeLessThan(1e-6);
    tf.dispose([alpha, mask, ...Object.values(grads)]);
  });

  it('leave dropped candidates out of the softmax, and they get no gradient', () => {
    const alpha = tf.variable(tf.tensor2d([[0.1, 0.7, -0.4]]), true, 'st-test-alpha3');
    const mask = tf.tensor2d([[0, -1e9, 0]]);
    const { grads } = tf.variableGrads(() => tf.sum(straightThroughWeights(alpha as tf.Tensor2D, mask, [0])[0]) as tf.Scalar, [alpha]);
    const g = grads[alpha.name].dataSync();
    const s0 = Math.exp(0.1) / (Math.exp(0.1) + Math.exp(-0.4));
    expect(g[1]).toBe(0);
    expect(Math.abs(g[0] - s0 * (1 - s0))).toBeLessThan(1e-6);
    expect(Math.abs(g[2] + s0 * (1 - s0))).toBeLessThan(1e-6);
    const points = [{ id: 'p', candidates: ['a', 'b', 'c'] }];
    const soft = maskedSoftmax([0.1, 0.7, -0.4], points, new CandidateSet(points, [['a', 'c']]), 3);
    expect(soft[0][1]).toBe(0);
    expect(soft[0][0]).toBeCloseTo(s0, 14);
    tf.dispose([alpha, mask, ...Object.values(grads)]);
  });
});

// ------------------------------------------------------------ a toy supernet

const INPUT: InputSpec = { height: 1, width: 1, channels: 2, numClasses: 2 };
const OPS = ['good', 'bad'];

/**
 * Two choice points, candidates 'good' and 'bad'. The input is the one-hot
 * label; 'good' passes scale * x to the logits, 'bad' passes -scale * x, so
 * every 'good' lowers the loss and every 'bad' raises it.
 */
class Toy implements Supernet {
  readonly store = new ParamStore(new Rng(0));
  constructor() {
    this.store.constant('scale', [1], 1);
  }
  forwardMixture(x: tf.Tensor4D, m: Mixture): tf.Tensor2D {
    return tf.tidy(() => {
      const v = tf.mul(tf.reshape(x, [-1, 2]), this.store.get('scale'));
      const terms = m.ops.flatMap((ops, p) =>
        ops.map((op, k) => tf.mul(tf.mul(v, op === 'good' ? 1 : -1), tf.slice(m.weights[p], [k], [1]))),
      );
      return tf.addN(terms) as tf.Tensor2D;
    });
  }
  forward(x: tf.Tensor4D, arch: Architecture, _mode: ForwardMode): tf.Tensor2D {
    return tf.tidy(() => this.forwardMixture(x, { ops: arch.map((o) => [o]), weights: arch.map(() => tf.ones([1]) as tf.Tensor1D) }));
  }
  paramsOf(): string[] {
    return ['scale'];
  }
  paramsOfMixture(): string[] {
    return ['scale'];
  }
  resetBatchNormStats(): void {}
  dispose(): void {
    this.store.dispose();
  }
}

const toySpace: SearchSpace = {
  name: 'toy',
  kind: 'chain',
  choicePoints: [
    { id: 'p0', candidates: OPS },
    { id: 'p1', candidates: OPS },
  ],
  parse: (t) => t.split(','),
  format: (a) => a.join(','),
  sample: (c, rng, fixed) => c.sampleUniform(rng, fixed),
  createSupernet: () => new Toy(),
  cost: () => ({ params: 1, flops: 1 }),
  weightLayout: () => ({ segments: [{ param: 'scale' }], allPathsCut: false }),
};

function oneHotSet(n: number): ImageSet {
  const images = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    images[i * 2 + labels[i]] = 1;
  }
  return { images, labels, count: n };
}

const data: DataSplits = { name: 'toy', input: INPUT, train: oneHotSet(64), val: oneHotSet(16), test: oneHotSet(16) };
const trainCfg: TrainConfig = {
  batchSize: 16,
  learningRate: 0.01,
  minLearningRate: 0.01,
  schedule: 'constant',
  momentum: 0.9,
  nesterov: true,
  weightDecay: 0,
  gradientClip: 0,
  stepsPerEpoch: 0,
  augment: false,
  labelSmoothing: 0,
};

describe('MagnitudeMetric taking part in supernet training', () => {
  it('moves softmax(alpha) towards the operators that lower the loss', async () => {
    const supernet = new Toy();
    const metric = new MagnitudeMetric({ learningRate: 0.05 });
    const candidates = new CandidateSet(toySpace.choicePoints);
    const { sampler, participant, dispose } = metric.participate({
      space: toySpace,
      supernet,
      candidates: () => candidates,
      rng: new Rng(1),
    });
    const before = metric.magnitudes(supernet, candidates);
    expect(Math.abs(before[0][0] - 0.5)).toBeLessThan(0.01);
    const trainer = new SupernetTrainer(supernet, { data, train: trainCfg, rng: new Rng(2), phase: 'train' }, standaloneServices());
    await trainer.train(5, 5, sampler, participant);
    expect(metric.steps(supernet)).toBe(5 * 4);
    const after = metric.magnitudes(supernet, candidates);
    for (const row of after) {
      expect(row[0]).toBeGreaterThan(0.6);
      expect(row[0] + row[1]).toBeCloseTo(1, 12);
    }
    const scorer = await metric.prepare({ space: toySpace, supernet, candidates } as never);
    const good = scorer.score(['good', 'good']) as number;
    const mixed = scorer.score(['good', 'bad']) as number;
    expect(good).toBeGreaterThan(mixed);
    expect(mixed).toBeGreaterThan(scorer.score(['bad', 'bad']) as number);
    expect(good).toBeCloseTo((after[0][0] + after[1][0]) / 2, 12);
    trainer.dispose();
    dispose?.();
    expect(() => metric.magnitudes(supernet, candidates)).toThrow(/not trained with the metric/);
    supernet.dispose();
  });

  it('is used by the shrinker in place of uniform sampling, and drops the bad operators', async () => {
    const supernet = new Toy();
    const metric = new MagnitudeMetric({ learningRate: 0.05 });
    const cfg = {
      enabled: true,
      metric: { plugin: '@absnas/metric-magnitude', options: {} },
      threshold: 1,
      policy: { kind: 'global', count: 2 },
      epochsBeforeFirstRound: 5,
      epochsPerRound: 1,
      childrenPerOperator: 10,
      enumerateUpTo: 100,
      retakeBaseAfterDrops: 0,
      maxRounds: 5,
      train: trainCfg,
    } as ShrinkConfig;
    const shrinker = new Shrinker({ config: cfg, space: toySpace, metric, data, rng: new Rng(4) }, standaloneServices());
    const trainer = new SupernetTrainer(supernet, { data, train: trainCfg, rng: new Rng(2), phase: 'shrink' }, standaloneServices());
    const result = await shrinker.run(supernet, trainer, new CandidateSet(toySpace.choicePoints));
    expect(result.candidates.lists).toEqual([['good'], ['good']]);
    expect(result.rounds[0].dropped.map((d) => d.op)).toEqual(['bad', 'bad']);
    trainer.dispose();
    supernet.dispose();
  });

  it('checkpoints its architecture weights and optimizer moments exactly', async () => {
    const candidates = new CandidateSet(toySpace.choicePoints);
    const a = new Toy();
    const metric = new MagnitudeMetric({ learningRate: 0.05 });
    const pa = metric.participate({ space: toySpace, supernet: a, candidates: () => candidates, rng: new Rng(1) });
    const trainer = new SupernetTrainer(a, { data, train: trainCfg, rng: new Rng(2), phase: 'train' }, standaloneServices());
    await trainer.train(2, 4, pa.sampler, pa.participant);
    const saved = JSON.parse(JSON.stringify((await pa.state!.capture()).state));
    const b = new Toy();
    const pb = metric.participate({ space: toySpace, supernet: b, candidates: () => candidates, rng: new Rng(99) });
    pb.state!.restore(saved, new Map());
    expect(metric.magnitudes(b, candidates)).toEqual(metric.magnitudes(a, candidates));
    expect(metric.steps(b)).toBe(metric.steps(a));
    // one more identical update moves both the same way
    const ga = new Map([[pa.participant.variables()[0], tf.ones([2, 2])]]);
    const gb = new Map([[pb.participant.variables()[0], tf.ones([2, 2])]]);
    await pa.participant.update(ga);
    await pb.participant.update(gb);
    expect(metric.magnitudes(b, candidates)).toEqual(metric.magnitudes(a, candidates));
    tf.dispose([...ga.values(), ...gb.values()]);
    trainer.dispose();
    pa.dispose?.();
    pb.dispose?.();
    a.dispose();
    b.dispose();
  });

  it('refuses to score a supernet it did not train, and a space without mixtures', async () => {
    const metric = new MagnitudeMetric();
    const supernet = new Toy();
    const candidates = new CandidateSet(toySpace.choicePoints);
    await expect(metric.prepare({ space: toySpace, supernet, candidates } as never)).rejects.toThrow(/participate/);
    const plain = { ...supernet, store: supernet.store, forwardMixture: undefined } as unknown as Supernet;
    expect(() => metric.participate({ space: toySpace, supernet: plain, candidates: () => candidates, rng: new Rng(0) })).toThrow(
      /no mixture forward pass/,
    );
    supernet.dispose();
    expect(plugin.kind).toBe('metric');
  });
});
