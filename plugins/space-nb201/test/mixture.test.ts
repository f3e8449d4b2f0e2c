import { Architecture, CandidateSet, InputSpec, Mixture, Rng, tf } from '@absnas/core';
import { avgPool3x3 } from '../src/ops';
import { Nb201Space } from '../src/space';
import { Nb201Supernet } from '../src/supernet';
import { NB201_OPS } from '../src/topology';

const INPUT: InputSpec = { height: 8, width: 8, channels: 1, numClasses: 4 };

function singleOp(arch: Architecture): Mixture {
  return { ops: arch.map((op) => [op]), weights: arch.map(() => tf.ones([1]) as tf.Tensor1D) };
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('Nb201Supernet mixtures (C=4, N=1)', () => {
  const space = new Nb201Space({ channels: 4, cellsPerStage: 1 });
  let supernet: Nb201Supernet;
  let x: tf.Tensor4D;
  let y: tf.Tensor2D;
  const rng = new Rng(11);
  const candidates = new CandidateSet(space.choicePoints);
  const archs: Architecture[] = [
    Array(6).fill('nor_conv_3x3'),
    Array(6).fill('none'),
    ['skip_connect', 'nor_conv_1x1', 'none', 'none', 'nor_conv_3x3', 'none'],
    ...Array.from({ length: 6 }, () => space.sample(candidates, rng)),
  ];

  beforeAll(() => {
    supernet = space.createSupernet(INPUT, new Rng(5));
    x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4).toFloat() as tf.Tensor2D;
  });
  afterAll(() => {
    supernet.dispose();
    x.dispose();
    y.dispose();
  });

  it('a single-op mixture with weight 1 equals forward on that architecture', () => {
    for (const arch of archs) {
      const m = singleOp(arch);
      for (const mode of ['eval', 'train'] as const) {
        const a = supernet.forward(x, arch, mode);
        const b = supernet.forwardMixture(x, m, mode);
        expect(maxAbsDiff(a, b)).toBe(0);
        a.dispose();
        b.dispose();
      }
      expect(supernet.paramsOfMixture(m.ops)).toEqual(supernet.paramsOf(arch));
      m.weights.forEach((w) => w.dispose());
    }
  });

  it('an edge mixes its operators linearly: a * skip(x) + b * pool(x), none adds nothing', () => {
    const edge = supernet.cells[0].edges[0];
    const h = tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 9) as tf.Tensor4D;
    const w = tf.tensor1d([0.3, -1.7, 2.5]);
    const got = edge.applyMixture(['skip_connect', 'none', 'avg_pool_3x3'], w, h, 'eval') as tf.Tensor4D;
    const want = tf.tidy(() => tf.add(tf.mul(h, 0.3), tf.mul(avgPool3x3(h), 2.5)));
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-6);
    expect(edge.applyMixture(['none'], tf.tensor1d([1]), h, 'eval')).toBeNull();
    tf.dispose([h, w, got, want]);
  });

  it('gradients reach the supernet weights and the mixture weights', () => {
    const ops = Array.from({ length: 6 }, () => [...NB201_OPS]);
    const names = supernet.paramsOfMixture(ops);
    // every conv of every edge and cell is used by the full mixture
    expect(names.filter((n) => n.includes('.edge.')).length).toBe(3 * 6 * 2);
    const alpha = tf.variable(tf.randomNormal([6, 5], 0, 0.1, 'float32', 4), true, 'mixture-test-alpha');
    const vars = [...names.map((n) => supernet.store.get(n)), alpha];
    const { value, grads } = tf.variableGrads(() => {
      const soft = tf.softmax(alpha);
      const weights = ops.map((_, i) => tf.squeeze(tf.slice(soft, [i, 0], [1, 5]), [0]) as tf.Tensor1D);
      const logits = supernet.forwardMixture(x, { ops, weights }, 'train');
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    }, vars);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    for (const v of vars) {
      const g = grads[v.name];
      expect(g).toBeDefined();
      expect(g.shape).toEqual(v.shape);
      // a weight with an all-zero gradient would mean it is not connected
      expect(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0])).toBeGreaterThan(0);
    }
    tf.dispose([value, ...Object.values(grads), alpha]);
  });

  it('a straight-through single path (weight 1 forward) passes a gradient to its weight', () => {
    const arch: Architecture = ['nor_conv_3x3', 'skip_connect', 'nor_conv_1x1', 'avg_pool_3x3', 'nor_conv_3x3', 'skip_connect'];
    const s = tf.variable(tf.tensor1d([0.25]), true, 'mixture-test-soft');
    const { grads } = tf.variableGrads(() => {
      // hard (1) + soft - detached copy of soft: 1 in the forward pass, d/ds = 1
      const w = tf.add(tf.sub(s, tf.tensor1d(s.dataSync())), 1) as tf.Tensor1D;
      const logits = supernet.forwardMixture(x, { ops: arch.map((op) => [op]), weights: arch.map(() => w) }, 'eval');
      const direct = supernet.forward(x, arch, 'eval');
      expect(maxAbsDiff(logits, direct)).toBeLessThan(1e-6);
      direct.dispose();
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    }, [s]);
    expect(Math.abs(grads[s.name].dataSync()[0])).toBeGreaterThan(0);
    tf.dispose([s, ...Object.values(grads)]);
  });

  it('rejects malformed mixtures', () => {
    expect(() => supernet.paramsOfMixture([['none']])).toThrow(/6 edges/);
    expect(() => supernet.paramsOfMixture(Array(6).fill(['conv9']))).toThrow(/unknown operator 'conv9'/);
    const w = tf.ones([2]) as tf.Tensor1D;
    expect(() => supernet.forwardMixture(x, { ops: Array(6).fill(['none']), weights: Array(6).fill(w) }, 'eval')).toThrow(/shape \[2\]/);
    w.dispose();
  });
});
