import { Architecture, CandidateSet, ForwardMode, InputSpec, Rng, tf } from '@absnas/core';
import { Nb201Space } from '../src/space';
import { Nb201Supernet } from '../src/supernet';

const INPUT: InputSpec = { height: 8, width: 8, channels: 1, numClasses: 10 };
const MODES: ForwardMode[] = ['train', 'eval', 'recalibrate'];
const NONE6: Architecture = ['none', 'none', 'none', 'none', 'none', 'none'];

describe('Nb201Supernet (C=4, N=1, 8x8x1 input, 10 classes)', () => {
  const space = new Nb201Space({ channels: 4, cellsPerStage: 1 });
  let supernet: Nb201Supernet;
  let x: tf.Tensor4D;
  let labels: tf.Tensor2D;
  const rng = new Rng(2024);
  const candidates = new CandidateSet(space.choicePoints);
  const archs: Architecture[] = [
    NONE6,
    Array(6).fill('nor_conv_3x3'),
    Array(6).fill('avg_pool_3x3'),
    // a conv whose node never reaches the output (2<-0 feeds node 2, which only has none out)
    ['skip_connect', 'nor_conv_1x1', 'none', 'none', 'nor_conv_3x3', 'none'],
    ...Array.from({ length: 8 }, () => space.sample(candidates, rng)),
  ];

  beforeAll(() => {
    supernet = space.createSupernet(INPUT, new Rng(7));
    x = tf.randomNormal([3, 8, 8, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    labels = tf.oneHot(tf.tensor1d([1, 4, 9], 'int32'), 10) as tf.Tensor2D;
  });
  afterAll(() => {
    supernet.dispose();
    x.dispose();
    labels.dispose();
  });

  it('names its parameters by position', () => {
    const names = [...supernet.store.params.keys()];
    for (const n of [
      'stem.conv.weight',
      'stem.bn.gamma',
      'cells.0.edge.1<-0.nor_conv_1x1.conv.weight',
      'cells.2.edge.2<-1.nor_conv_3x3.conv.weight',
      'reduction.0.conv_a.conv.weight',
      'reduction.0.conv_a.bn.gamma',
      'reduction.1.conv_b.bn.beta',
      'reduction.1.shortcut.conv.weight',
      'final.bn.gamma',
      'classifier.weight',
      'classifier.bias',
    ]) {
      expect(names).toContain(n);
    }
    // cell BN has no affine parameters, only running statistics
    expect(names.some((n) => n.startsWith('cells.') && n.includes('.bn.'))).toBe(false);
    expect(supernet.store.buffers.has('cells.1.edge.3<-2.nor_conv_3x3.bn.running_mean')).toBe(true);
    // parameters are created in forward order
    expect(names.indexOf('stem.conv.weight')).toBe(0);
    expect(names.indexOf('cells.0.edge.1<-0.nor_conv_1x1.conv.weight')).toBeLessThan(names.indexOf('reduction.0.conv_a.conv.weight'));
    expect(names.indexOf('reduction.0.shortcut.conv.weight')).toBeLessThan(names.indexOf('cells.1.edge.1<-0.nor_conv_1x1.conv.weight'));
    expect(names[names.length - 1]).toBe('classifier.bias');
    // weight shapes: conv [k, k, cin, cout], one set per cell
    expect(supernet.store.get('cells.1.edge.2<-1.nor_conv_3x3.conv.weight').shape).toEqual([3, 3, 8, 8]);
    expect(supernet.store.get('reduction.1.conv_a.conv.weight').shape).toEqual([3, 3, 8, 16]);
    expect(supernet.store.get('classifier.weight').shape).toEqual([16, 10]);
  });

  it.each(MODES)('forward in %s mode gives finite [B, classes] logits for every arch', (mode) => {
    for (const arch of archs) {
      const logits = tf.tidy(() => supernet.forward(x, arch, mode));
      expect(logits.shape).toEqual([3, 10]);
      expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
      logits.dispose();
    }
  });

  it('none everywhere still produces logits, which no longer depend on the input', () => {
    const other = tf.randomNormal([3, 8, 8, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const [a, b] = tf.tidy(() => [supernet.forward(x, NONE6, 'eval'), supernet.forward(other, NONE6, 'eval')]);
    expect(a.shape).toEqual([3, 10]);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
    tf.dispose([a, b, other]);
  });

  it('the chosen operator matters: different archs give different logits', () => {
    const [a, b] = tf.tidy(() => [
      supernet.forward(x, Array(6).fill('nor_conv_3x3'), 'eval'),
      supernet.forward(x, Array(6).fill('nor_conv_1x1'), 'eval'),
    ]);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeGreaterThan(1e-6);
    tf.dispose([a, b]);
  });

  /** Every parameter of paramsOf(path) has a finite gradient; every other one none, or an exactly zero one. */
  function expectGradientsOfParamsOf(path: Architecture): void {
    const used = supernet.paramsOf(path);
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(labels, supernet.forward(x, path, 'train')) as tf.Scalar,
      [...supernet.store.params.values()],
    );
    // grads are keyed by tfjs variable name
    const gradOf = (name: string) => grads[supernet.store.get(name).name];
    for (const name of used) {
      if (!gradOf(name)) throw new Error(`${path}: no gradient for ${name}`);
      expect(Array.from(gradOf(name).dataSync()).every(Number.isFinite)).toBe(true);
    }
    // (a conv fed by an all-none node is on the tape but sees a zero input)
    for (const name of supernet.store.params.keys()) {
      const g = gradOf(name);
      if (!used.includes(name) && g) expect(tf.max(tf.abs(g)).dataSync()[0]).toBe(0);
    }
    tf.dispose([value, ...Object.values(grads)]);
  }

  it('gives finite gradients for exactly the parameters of paramsOf(arch)', () => {
    for (const arch of archs) expectGradientsOfParamsOf(arch);
  });

  it('paramsOf: the fixed parts plus the conv weights on live edges', () => {
    const fixed = supernet.paramsOf(['skip_connect', 'none', 'none', 'skip_connect', 'none', 'avg_pool_3x3']);
    expect(fixed.some((n) => n.startsWith('cells.'))).toBe(false);
    expect(fixed).toContain('stem.conv.weight');
    expect(fixed).toContain('reduction.1.conv_b.bn.gamma');
    // dead-end conv (2<-0 into node 2, which feeds nothing) is left out; 3<-1 conv is in
    const p = supernet.paramsOf(['skip_connect', 'nor_conv_1x1', 'none', 'none', 'nor_conv_3x3', 'none']);
    expect(p.filter((n) => n.startsWith('cells.'))).toEqual([
      'cells.0.edge.3<-1.nor_conv_3x3.conv.weight',
      'cells.1.edge.3<-1.nor_conv_3x3.conv.weight',
      'cells.2.edge.3<-1.nor_conv_3x3.conv.weight',
    ]);
    // all paths cut: every cell outputs zeros, only what follows the last cell remains
    expect(supernet.paramsOf(NONE6)).toEqual(['final.bn.gamma', 'final.bn.beta', 'classifier.weight', 'classifier.bias']);
  });

  describe('per-cell paths (6 operators per cell, cell after cell)', () => {
    const CONV6: Architecture = Array(6).fill('nor_conv_3x3');
    const SKIP_CONV: Architecture = ['skip_connect', 'none', 'none', 'none', 'nor_conv_1x1', 'none'];

    it('run each cell on its own operators: the same in every cell is the shared child', () => {
      const shared = supernet.forward(x, SKIP_CONV, 'eval');
      const repeated = supernet.forward(x, [...SKIP_CONV, ...SKIP_CONV, ...SKIP_CONV], 'eval');
      const mixed = supernet.forward(x, [...SKIP_CONV, ...CONV6, ...SKIP_CONV], 'eval');
      expect(Array.from(repeated.dataSync())).toEqual(Array.from(shared.dataSync()));
      expect(tf.max(tf.abs(tf.sub(mixed, shared))).dataSync()[0]).toBeGreaterThan(1e-4);
      tf.dispose([shared, repeated, mixed]);
    });

    it("paramsOf: each cell's live convs; a cell with every path cut disconnects all before it", () => {
      const p = supernet.paramsOf([...CONV6, ...SKIP_CONV, ...CONV6]);
      expect(p.filter((n) => n.startsWith('cells.1.'))).toEqual(['cells.1.edge.3<-1.nor_conv_1x1.conv.weight']);
      expect(p.filter((n) => n.startsWith('cells.0.'))).toHaveLength(6);
      expect(p).toContain('stem.conv.weight');
      const cut = supernet.paramsOf([...CONV6, ...NONE6, ...CONV6]);
      expect(cut.some((n) => n.startsWith('cells.0.') || n.startsWith('cells.1.') || n.startsWith('stem.'))).toBe(false);
      expect(cut.some((n) => n.startsWith('reduction.0.'))).toBe(false);
      expect(cut).toContain('reduction.1.conv_a.conv.weight');
      expect(cut.filter((n) => n.startsWith('cells.2.'))).toHaveLength(6);
    });

    it('give finite gradients for exactly the parameters of paramsOf', () => {
      expectGradientsOfParamsOf([...CONV6, ...SKIP_CONV, ...CONV6]);
      expectGradientsOfParamsOf([...CONV6, ...NONE6, ...SKIP_CONV]);
    });

    it('reject a path whose length is neither 6 nor 6 per cell, or an unknown operator in a cell', () => {
      expect(() => supernet.forward(x, [...CONV6, ...CONV6], 'eval')).toThrow(/6 operators/);
      expect(() => supernet.paramsOf([...CONV6, ...CONV6, ...CONV6.slice(0, 5), 'conv_9x9'])).toThrow(/conv_9x9/);
    });
  });

  it('does not leak tensors across repeated forward passes and gradient steps', () => {
    const step = (arch: Architecture, mode: ForwardMode) => {
      tf.tidy(() => {
        supernet.forward(x, arch, mode);
      });
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(labels, supernet.forward(x, arch, 'train')) as tf.Scalar,
        supernet.paramsOf(arch).map((n) => supernet.store.get(n)),
      );
      tf.dispose([value, ...Object.values(grads)]);
    };
    step(archs[5], 'train'); // warm-up
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) for (const arch of archs) step(arch, MODES[i]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('train mode updates the running statistics; resetBatchNormStats restores 0 and 1', () => {
    const mean = supernet.store.buffers.get('cells.0.edge.1<-0.nor_conv_1x1.bn.running_mean')!;
    const stem = supernet.store.buffers.get('stem.bn.running_var')!;
    tf.tidy(() => {
      supernet.forward(x, Array(6).fill('nor_conv_1x1'), 'train');
    });
    expect(Array.from(stem.dataSync()).some((v) => v !== 1)).toBe(true);
    supernet.resetBatchNormStats();
    expect(Array.from(mean.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(stem.dataSync()).every((v) => v === 1)).toBe(true);
    for (const v of supernet.store.buffers.values()) {
      const d = v.dataSync();
      expect(Array.from(d).every((e) => e === (v.name.endsWith('running_var') ? 1 : 0))).toBe(true);
    }
  });

  it('rejects a bad architecture or input', () => {
    expect(() => supernet.forward(x, ['none'], 'eval')).toThrow(/6 operators/);
    const rgb = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    expect(() => supernet.forward(rgb, NONE6, 'eval')).toThrow(/1 channels/);
    rgb.dispose();
    expect(() => space.createSupernet({ ...INPUT, height: 6 }, new Rng(1))).toThrow(/divisible by 4/);
  });
});
