import { Architecture, CandidateSet, HOOKS, HookBus, InputSpec, Mixture, Rng, SEARCH_SPACE, tf } from '@absnas/core';
import { container } from 'tsyringe';
import { nodeLiveness } from '../src/cell';
import plugin from '../src/index';
import { avgPool3x3, maxPool3x3, subsample } from '../src/ops';
import { deriveArchitecture, mirrorDrops, tieCellScores } from '../src/sampling';
import { DartsSpace } from '../src/space';
import { DARTS_OPS, NUM_EDGES, edgeIndex, edgesInto } from '../src/topology';

const INPUT: InputSpec = { height: 8, width: 8, channels: 1, numClasses: 4 };

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** Naive NHWC 3x3 pooling with padding 1 that ignores padded pixels (count_include_pad=False for the average). */
function poolReference(x: tf.Tensor4D, stride: number, kind: 'max' | 'avg'): Float32Array {
  const [b, h, w, c] = x.shape;
  const v = x.dataSync();
  const ho = Math.floor((h - 1) / stride) + 1;
  const wo = Math.floor((w - 1) / stride) + 1;
  const out = new Float32Array(b * ho * wo * c);
  for (let n = 0; n < b; n++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++)
        for (let ch = 0; ch < c; ch++) {
          let acc = kind === 'max' ? -Infinity : 0;
          let count = 0;
          for (let di = -1; di <= 1; di++)
            for (let dj = -1; dj <= 1; dj++) {
              const r = i * stride + di;
              const q = j * stride + dj;
              if (r < 0 || r >= h || q < 0 || q >= w) continue;
              const val = v[((n * h + r) * w + q) * c + ch];
              acc = kind === 'max' ? Math.max(acc, val) : acc + val;
              count++;
            }
          out[((n * ho + i) * wo + j) * c + ch] = kind === 'max' ? acc : acc / count;
        }
  return out;
}

describe('DARTS operators', () => {
  it('pool 3x3 with padding 1 as PyTorch (max ignores padding, average excludes it), stride 1 and 2', () => {
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    for (const stride of [1, 2]) {
      for (const [kind, f] of [['max', maxPool3x3], ['avg', avgPool3x3]] as const) {
        const y = f(x, stride);
        const want = poolReference(x, stride, kind);
        expect(y.shape).toEqual([2, 6 / stride, 6 / stride, 3]);
        const got = y.dataSync();
        let err = 0;
        for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
        expect(err).toBeLessThan(1e-5);
        y.dispose();
      }
    }
    x.dispose();
  });

  it('a stride-2 convolution equals the stride-1 one subsampled (even and odd sides)', () => {
    for (const side of [6, 7]) {
      const x = tf.randomNormal([2, side, side, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, 3, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
      const strided = tf.depthwiseConv2d(x, w, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]);
      const sub = subsample(tf.depthwiseConv2d(x, w, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]), 2);
      expect(sub.shape).toEqual(strided.shape);
      expect(maxAbsDiff(sub, strided)).toBeLessThan(1e-5);
      tf.dispose([x, w, strided, sub]);
    }
  });
});

describe('DartsSupernet (C=2, 3 cells)', () => {
  const space = new DartsSpace({ channels: 2, layers: 3 });
  const all = new CandidateSet(space.choicePoints);
  const rng = new Rng(7);
  let supernet: ReturnType<DartsSpace['createSupernet']>;
  let x: tf.Tensor4D;
  let y: tf.Tensor2D;
  const archs: Architecture[] = [
    Array(28).fill('sep_conv_3x3'),
    Array(28).fill('none'),
    [...Array(NUM_EDGES).fill('none'), ...Array(NUM_EDGES).fill('dil_conv_5x5')],
    ...Array.from({ length: 2 }, () => space.sample(all, rng)),
    all.sampleUniform(rng),
  ];

  beforeAll(() => {
    supernet = space.createSupernet(INPUT, new Rng(5));
    x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4).toFloat() as tf.Tensor2D;
  });
  afterAll(() => {
    supernet.dispose();
    tf.dispose([x, y]);
  });

  it('a mixture with one-hot weights equals the single-path forward', () => {
    for (const arch of archs) {
      // every candidate listed, weight 1 on the child's operator
      const mixture: Mixture = {
        ops: arch.map(() => [...DARTS_OPS]),
        weights: arch.map((op) => tf.oneHot(DARTS_OPS.indexOf(op as never), DARTS_OPS.length).toFloat() as tf.Tensor1D),
      };
      // a node without inputs is absent from a single path (nothing after it runs) while a mixture runs every
      // listed operator on it (zeros): the same in train mode, but eval-mode BN turns zeros into its shift
      const complete = [0, 14].every((o) => nodeLiveness(true, true, (i) => arch[o + i] !== 'none').every(Boolean));
      for (const mode of complete ? (['eval', 'train'] as const) : (['train'] as const)) {
        const a = supernet.forward(x, arch, mode);
        const b = supernet.forwardMixture(x, mixture, mode);
        expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
        tf.dispose([a, b]);
      }
      mixture.weights.forEach((w) => w.dispose());
      const single = { ops: arch.map((op) => [op]) };
      expect(supernet.paramsOfMixture(single.ops)).toEqual(supernet.paramsOf(arch));
    }
  });

  it('every parameter that gets a gradient is listed by paramsOf, and nothing of an unused operator is', () => {
    const everything = [...supernet.store.params.values()];
    for (const arch of [archs[2], archs[3], archs[5]]) {
      const { grads, value } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, supernet.forward(x, arch, 'train')) as tf.Scalar, everything);
      const listed = new Set(supernet.paramsOf(arch));
      const byVar = new Map(everything.map((v) => [v.name, v]));
      for (const name of Object.keys(grads)) {
        const param = [...supernet.store.params.entries()].find(([, v]) => v === byVar.get(name))![0];
        expect(listed.has(param)).toBe(true);
      }
      for (const p of listed) {
        const m = /edge\.(\d)<-(\d)\.(\w+)\./.exec(p);
        if (m) expect(arch.some((op, i) => op === m[3] && i % NUM_EDGES === edgeIndex(Number(m[2]), Number(m[1])))).toBe(true);
      }
      tf.dispose([value, ...Object.values(grads)]);
    }
  });

  it('gradients reach alpha through the mixture; dropout only acts in train mode', () => {
    const ops = space.choicePoints.map((p) => [...p.candidates]);
    const alpha = tf.variable(tf.randomNormal([28, 8], 0, 0.1, 'float32', 4));
    const weights = (): tf.Tensor1D[] => ops.map((_, i) => tf.softmax(tf.reshape(tf.slice(alpha, [i, 0], [1, 8]), [8])) as tf.Tensor1D);
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, supernet.forwardMixture(x, { ops, weights: weights() }, 'train')) as tf.Scalar, [alpha]);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(tf.tidy(() => tf.sum(tf.abs(grads[alpha.name])).dataSync()[0])).toBeGreaterThan(0);
    const dropout = { ops: ['skip_connect'], rate: 0.5, seed: 1 };
    const plain = tf.tidy(() => supernet.forwardMixture(x, { ops, weights: weights() }, 'eval'));
    const dropped = tf.tidy(() => supernet.forwardMixture(x, { ops, weights: weights(), dropout }, 'eval'));
    expect(maxAbsDiff(plain, dropped)).toBe(0);
    const t1 = tf.tidy(() => supernet.forwardMixture(x, { ops, weights: weights(), dropout }, 'train'));
    const t2 = tf.tidy(() => supernet.forwardMixture(x, { ops, weights: weights(), dropout }, 'train'));
    const t3 = tf.tidy(() => supernet.forwardMixture(x, { ops, weights: weights() }, 'train'));
    expect(maxAbsDiff(t1, t2)).toBe(0); // same seed, same masks
    expect(maxAbsDiff(t1, t3)).toBeGreaterThan(0);
    tf.dispose([alpha, value, ...Object.values(grads), plain, dropped, t1, t2, t3]);
  });

  it('does not leak tensors', () => {
    const before = tf.memory().numTensors;
    tf.dispose(supernet.forward(x, archs[3], 'train'));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('DARTS sampling, derivation and shared shrinking', () => {
  const space = new DartsSpace();
  const all = new CandidateSet(space.choicePoints);

  it('samples one cell for both cell types with exactly two real inputs per node, holding a fixed operator', () => {
    const rng = new Rng(1);
    for (let k = 0; k < 50; k++) {
      const fixed = k % 2 === 0 ? { point: 14 + (k % 14), op: 'dil_conv_5x5' } : { point: k % 14, op: 'none' };
      const arch = space.sample(all, rng, fixed);
      expect(arch.slice(0, 14)).toEqual(arch.slice(14));
      expect(arch[fixed.point]).toBe(fixed.op);
      // node 2 has two possible inputs: holding one of them absent leaves it one
      const short = fixed.op === 'none' && fixed.point % 14 < 2 ? 2 : -1;
      for (let to = 2; to < 6; to++) expect(edgesInto(to).filter((i) => arch[i] !== 'none')).toHaveLength(to === short ? 1 : 2);
    }
  });

  it('derives the top-2 inputs per node by their strongest non-none weight', () => {
    const w = space.choicePoints.map(() => Float32Array.from([0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]));
    // node 2 of the normal cell: edge 2<-1 strongest by dil_conv_3x3, then 2<-0 (all 0.1 -> first real op, max_pool)
    w[edgeIndex(1, 2)] = Float32Array.from([0.9, 0, 0, 0, 0, 0, 0.2, 0]);
    // node 3: edge 3<-2 has sep_conv_5x5 at 0.5; 3<-0 has only 'none' left (0 for every real op): never chosen
    w[edgeIndex(2, 3)] = Float32Array.from([0, 0, 0, 0, 0, 0.5, 0, 0]);
    w[edgeIndex(0, 3)] = Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0]);
    const arch = deriveArchitecture(w);
    expect(arch[edgeIndex(1, 2)]).toBe('dil_conv_3x3');
    expect(arch[edgeIndex(0, 2)]).toBe('max_pool_3x3');
    expect(arch[edgeIndex(2, 3)]).toBe('sep_conv_5x5');
    expect(arch[edgeIndex(1, 3)]).toBe('max_pool_3x3');
    expect(arch[edgeIndex(0, 3)]).toBe('none');
    expect(space.format(arch).startsWith('Genotype(')).toBe(true);
  });

  it("ties the two cell types' scores and drops, never 'none' or an edge's last real operator", () => {
    const c = all.without([{ point: 0, op: 'max_pool_3x3' }, { point: 14, op: 'max_pool_3x3' }]);
    const scores = c.scorableOperators().map((o) => ({ ...o, score: o.point < 14 ? 1 : 3, children: 1 }));
    scores.find((s) => s.point === 3 && s.op === 'sep_conv_3x3')!.score = -5;
    const tied = tieCellScores(scores, c);
    expect(tied.some((s) => s.op === 'none')).toBe(false);
    expect(tied.every((s) => s.score === (s.point % 14 === 3 && s.op === 'sep_conv_3x3' ? -1 : 2))).toBe(true);
    expect(mirrorDrops([{ point: 3, op: 'sep_conv_3x3' }, { point: 5, op: 'none' }], c)).toEqual([
      { point: 3, op: 'sep_conv_3x3' },
      { point: 17, op: 'sep_conv_3x3' },
    ]);
    // an edge with one real operator left keeps it (its twin, here with more left, may still drop it)
    const one = new CandidateSet(space.choicePoints, space.choicePoints.map((p, i) => (i === 2 ? ['none', 'skip_connect'] : p.candidates)));
    expect(tieCellScores(one.scorableOperators().map((o) => ({ ...o, score: 0, children: 1 })), one).some((s) => s.point === 2)).toBe(false);
    expect(mirrorDrops([{ point: 2, op: 'skip_connect' }], one)).toEqual([{ point: 16, op: 'skip_connect' }]);
  });

  it('taps the run hooks when registered in a container with a hook bus', async () => {
    const child = container.createChildContainer();
    const hooks = new HookBus();
    child.registerInstance(HOOKS, hooks);
    plugin.register(child, { channels: 2 });
    expect(child.resolve(SEARCH_SPACE).name).toBe('darts');
    expect(hooks.tapped('onOperatorScores')).toEqual(['@absnas/space-darts']);
    const drops = await hooks.waterfall('onDropList', [{ point: 20, op: 'avg_pool_3x3' }], { round: 1, candidates: all });
    expect(drops).toEqual([{ point: 20, op: 'avg_pool_3x3' }, { point: 6, op: 'avg_pool_3x3' }]);
  });
});
