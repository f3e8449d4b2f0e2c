import { ArchitectureError, CandidateSet, loadSynthetic, Rng, standaloneServices, SupernetTrainer, tf } from '@absnas/core';
import { MobileNetSpace, MobileNetSupernet } from '../src/index';

const INPUT = { height: 8, width: 8, channels: 1, numClasses: 4 };

describe('MobileNetSupernet', () => {
  const space = new MobileNetSpace({ variant: 'spos', widthMultiplier: 0.1, stemStride: 1, minFeatureSize: 2 });
  const full = new CandidateSet(space.choicePoints);
  let supernet: MobileNetSupernet;
  beforeAll(() => (supernet = space.createSupernet(INPUT, new Rng(0))));
  afterAll(() => supernet.dispose());

  it('creates one block per MBConv candidate of every layer, in forward order', () => {
    const keys = [...supernet.store.params.keys()];
    expect(keys[0]).toBe('stem.conv.weight');
    expect(keys.slice(-2)).toEqual(['classifier.weight', 'classifier.bias']);
    expect(keys.filter((k) => k.startsWith('layers.3.'))).toHaveLength(6 * 9);
    expect(keys.some((k) => k.includes('identity'))).toBe(false);
    expect(keys.indexOf('layers.0.k3_e3.expand.weight')).toBeLessThan(keys.indexOf('layers.1.k3_e3.expand.weight'));
  });

  it('forwards a child to logits in every mode, and identity layers pass their input through', () => {
    const x = tf.randomNormal([3, 8, 8, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const rng = new Rng(1);
    for (const mode of ['train', 'recalibrate', 'eval'] as const) {
      const logits = supernet.forward(x, space.sample(full, rng), mode);
      expect(logits.shape).toEqual([3, 4]);
      expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
      logits.dispose();
    }
    // the same child with and without identity in a layer differs only by that layer
    const a = Array(21).fill('k3_e3');
    const b = [...a];
    b[2] = 'identity';
    const [la, lb] = [supernet.forward(x, a, 'eval'), supernet.forward(x, b, 'eval')];
    expect(tf.max(tf.abs(tf.sub(la, lb))).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([la, lb, x]);
  });

  it('rejects a bad architecture with an ArchitectureError naming the layer', () => {
    const x = tf.zeros([1, 8, 8, 1]) as tf.Tensor4D;
    const bad = Array(21).fill('k3_e3');
    bad[0] = 'identity';
    expect(() => supernet.forward(x, bad, 'eval')).toThrow(ArchitectureError);
    expect(() => supernet.forward(x, bad, 'eval')).toThrow(/layer0: 'identity' is not allowed here/);
    expect(() => supernet.paramsOf(['k3_e3'])).toThrow(/expected 21 operators/);
    x.dispose();
  });

  it('paramsOf names exactly the parameters that receive gradients from the child', () => {
    const arch = Array(21).fill('k5_e6');
    arch[1] = 'identity';
    arch[2] = 'k7_e3';
    const names = supernet.paramsOf(arch);
    expect(names.some((n) => n.startsWith('layers.1.'))).toBe(false);
    expect(names.filter((n) => n.startsWith('layers.2.'))).toEqual([
      'layers.2.k7_e3.expand.weight',
      'layers.2.k7_e3.expand_bn.gamma',
      'layers.2.k7_e3.expand_bn.beta',
      'layers.2.k7_e3.dw.weight',
      'layers.2.k7_e3.dw_bn.gamma',
      'layers.2.k7_e3.dw_bn.beta',
      'layers.2.k7_e3.project.weight',
      'layers.2.k7_e3.project_bn.gamma',
      'layers.2.k7_e3.project_bn.beta',
    ]);
    const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const y = tf.oneHot([0, 3], 4).toFloat() as tf.Tensor2D;
    const vars = [...supernet.store.params.values()];
    const { grads, value } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, supernet.forward(x, arch, 'train')) as tf.Scalar, vars);
    const withGrad = new Set(
      Object.entries(grads)
        .filter(([, g]) => tf.any(tf.notEqual(g, 0)).dataSync()[0])
        .map(([k]) => k),
    );
    const nameOf = new Map([...supernet.store.params].map(([n, v]) => [v.name, n]));
    expect([...withGrad].map((k) => nameOf.get(k)).sort()).toEqual([...names].sort());
    tf.dispose([x, y, value, ...Object.values(grads)]);
  });

  it('weightLayout: stem, first block, final conv, classifier weight, then each non-identity layer\'s three convs', () => {
    const arch = Array(21).fill('identity');
    [0, 4, 8, 12, 16, 20].forEach((i) => (arch[i] = 'k3_e3'));
    arch[3] = 'k7_e6';
    const layout = space.weightLayout(arch);
    expect(layout.allPathsCut).toBe(false);
    const params = layout.segments.map((s) => ('param' in s ? s.param : 'constant'));
    expect(params.slice(0, 6)).toEqual([
      'stem.conv.weight',
      'first.dw.weight',
      'first.project.weight',
      'final.conv.weight',
      'classifier.weight',
      'layers.0.k3_e3.expand.weight',
    ]);
    expect(params).toHaveLength(5 + 7 * 3);
    expect(params.slice(8, 11)).toEqual(['layers.3.k7_e6.expand.weight', 'layers.3.k7_e6.dw.weight', 'layers.3.k7_e6.project.weight']);
    expect(params.some((p) => /bn|bias/.test(p))).toBe(false);
    // every segment is a real parameter
    for (const p of params) expect(supernet.store.params.has(p)).toBe(true);
  });

  it('forwardMixture: one-hot weights give the child\'s logits; gradients reach every mixed block and the weights', () => {
    const x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const arch = space.sample(full, new Rng(9));
    const ops = space.choicePoints.map((p, i) => [arch[i], p.candidates.find((o) => o !== arch[i]) as string]);
    const oneHot = ops.map(() => tf.tensor1d([1, 0]));
    const [a, b] = [supernet.forward(x, arch, 'eval'), supernet.forwardMixture(x, { ops, weights: oneHot }, 'eval')];
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-5);
    const names = supernet.paramsOfMixture(ops);
    const expected = new Set([...supernet.paramsOf(arch), ...supernet.paramsOf(ops.map((l) => l[1]))]);
    expect(new Set(names)).toEqual(expected);
    const alpha = ops.map(() => tf.variable(tf.tensor1d([0.3, -0.2])));
    const y = tf.oneHot([0, 1, 2, 3], 4).toFloat() as tf.Tensor2D;
    const vars = [...names.map((n) => supernet.store.get(n)), ...alpha];
    const { grads, value } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(y, supernet.forwardMixture(x, { ops, weights: alpha.map((v) => tf.softmax(v) as tf.Tensor1D) }, 'train')) as tf.Scalar,
      vars,
    );
    for (const v of alpha) expect(Math.abs(grads[v.name].dataSync()[0])).toBeGreaterThan(0);
    expect(() => supernet.paramsOfMixture([['k3_e3']])).toThrow(/candidate lists for 21 layers/);
    tf.dispose([x, a, b, y, value, ...oneHot, ...alpha, ...Object.values(grads)]);
  });

  it('trains with the core trainer and recalibrates batch norm', async () => {
    const data = loadSynthetic({ trainSize: 64, valSize: 16, testSize: 16, rng: new Rng(3) });
    const net = space.createSupernet(data.input, new Rng(4));
    const cfg = {
      batchSize: 16,
      learningRate: 0.05,
      minLearningRate: 0,
      schedule: 'constant' as const,
      momentum: 0.9,
      nesterov: false,
      weightDecay: 0,
      gradientClip: 5,
      stepsPerEpoch: 2,
      augment: false,
      labelSmoothing: 0.1,
    };
    const trainer = new SupernetTrainer(net, { data, train: cfg, rng: new Rng(5), phase: 'search' }, standaloneServices());
    const before = net.store.snapshot();
    const { stats } = await trainer.train(1, 1, (rng) => [space.sample(full, rng)]);
    expect(Number.isFinite(stats[0].loss)).toBe(true);
    const after = net.store.snapshot();
    expect([...after].some(([k, v]) => v.some((x, i) => x !== (before.get(k) as Float32Array)[i]))).toBe(true);
    net.resetBatchNormStats();
    const mean = net.store.buffers.get('stem.bn.running_mean') as tf.Variable;
    expect(Array.from(mean.dataSync()).every((v) => v === 0)).toBe(true);
    trainer.dispose();
    net.dispose();
  });
});
