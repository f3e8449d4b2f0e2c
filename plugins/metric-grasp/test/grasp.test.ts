/**
 * GraSP against an independent float64 implementation: the published code
 * (zero-cost-nas's compute_grasp_per_weight, Hg by double backpropagation)
 * run in PyTorch on the same weights and images by
 * bench/reference/zero_cost_proxies.py. Hg is exact here too (double
 * backpropagation), so what remains is float32 rounding. The score is a sum
 * whose terms cancel (to 1/1150 of the sum of their sizes, graspAbs, on one
 * of these children), and the rounding is relative to that sum: measured at most 5.2e-8 of
 * graspAbs on these children (wasm with the native kernels; 1.6e-8 on the
 * cpu backend), 6.0e-5 of the score. The tolerance is 2e-7 of graspAbs. The
 * finite difference absnas used before was off by 1e-6 to 7e-6 of graspAbs
 * here (up to 2.1e-3 of the score).
 *
 * At the benchmark's size (C=16, N=5, 32x32 images, batch 64) the reference
 * takes minutes per child, so that check runs on a fixture the script wrote
 * when ABSNAS_GRASP_FIXTURE names it (docs/results.md has the commands), e.g.
 *   /usr/bin/python3 bench/reference/zero_cost_proxies.py --channels 16 --cells 5 --size 32 --batch 64 \
 *     --proxies grasp --children 333333,324131 --out /tmp/grasp-c16.json
 *   ABSNAS_GRASP_FIXTURE=/tmp/grasp-c16.json npx jest plugins/metric-grasp
 * There the tolerance is 2e-2 of the score: measured at most 1.2e-2 (the
 * all-3x3 child, whose per-layer sums of |W * Hg| are up to 1.4e5 for a
 * score of 525), 2.8e-5 to 2.5e-4 on five other children.
 */
import { BatchNorm, Conv2d, Linear, lossGradients, lossHessianVectorProduct, ParamStore, relu, relu6, Rng, tf } from '@absnas/core';
import type { Batch, ProxyChild } from '@absnas/core';
import { metricOf, ReferenceChild, zeroCostReference } from '../../../test/fixtures/zero-cost';
import { graspScore, plugin } from '../src';

const options = (batchSize: number): { network: 'supernet'; batchSize: number; augment: boolean } => ({ network: 'supernet', batchSize, augment: false });

/** tolerance * graspAbs: float32 rounding of a sum relative to the size of its terms. */
const ofTerms = (tolerance: number) => (c: ReferenceChild): number => {
  if (c.graspAbs === undefined) throw new Error('the fixture has no graspAbs (written by an older reference script)');
  return tolerance * c.graspAbs;
};

describe('grasp', () => {
  const ref = zeroCostReference();

  it('gives the reference score for every child (within 2e-7 of the sum of its terms), leaving the supernet as it was', async () => {
    await ref().expectReferenceScores(metricOf(plugin, options(ref().batchSize)), 'grasp', 0, ofTerms(2e-7));
  });
});

const large = process.env.ABSNAS_GRASP_FIXTURE;
(large ? describe : describe.skip)(`grasp on the fixture ${large ?? '(ABSNAS_GRASP_FIXTURE)'}`, () => {
  const ref = zeroCostReference(() => large!);

  it('gives the reference score for every child (relative 2e-2)', async () => {
    await ref().expectReferenceScores(metricOf(plugin, options(ref().batchSize)), 'grasp', 2e-2, 1e-12);
  }, 3_600_000);
});

/**
 * Max pooling and ReLU6 (the DARTS and MobileNet spaces' ops, which NB201
 * lacks) on a hand-built child against PyTorch's float64 double backward:
 * bench/reference/grasp_pooling_child.py, which describes the network
 * (three convolutions with batch norm, ReLU6 twice, max pools 3x3 stride 1,
 * 3x3 stride 2 'same' and 2x2 stride 2 'valid' over an odd size) and
 * printed the values below. Per kernel: the GraSP term -sum W * (H g)_W
 * within 1e-6 of the sum of its terms' sizes, and |H g| and |g| within
 * 5e-6 relative; measured at most 1.2e-7 and 2.2e-7 (wasm with and without
 * the native kernels, cpu), 2.6e-7 and 9.9e-7 on webgpu (lavapipe). Max
 * pooling's routing of H g taken from the wrong cells (each window's
 * non-maxima) put |H g| of conv1 off by 70%.
 */
describe('grasp on a child with max pooling and ReLU6', () => {
  const REFERENCE: Record<string, { grasp: number; abs: number; hg: number; g: number }> = {
    conv1: { grasp: 341.93754890160415, abs: 14314.809579938403, hg: 16196.517558497753, g: 18.493793217484818 },
    conv2: { grasp: 24.116165059370104, abs: 2674.343801334816, hg: 2613.507284014483, g: 4.910860238407629 },
    conv3: { grasp: 0.3916852063005116, abs: 727.459672991285, hg: 562.5363135996502, g: 0.6315180900463343 },
    linear: { grasp: -393.8695186681382, abs: 1240.4907437009242, hg: 1230.9921765391641, g: 2.9394635778147737 },
  };
  /** scale * sin(0.7391 i + 1.3 seed) in float32, as the reference script */
  const formula = (n: number, seed: number, scale: number) => Float32Array.from({ length: n }, (_, i) => scale * Math.sin(0.7391 * i + 1.3 * seed));

  it("gives PyTorch's H g (double backward) and GraSP terms for each kernel", async () => {
    const store = new ParamStore(new Rng(0));
    const conv1 = new Conv2d(store, 'conv1', 3, 6, 3);
    const conv2 = new Conv2d(store, 'conv2', 6, 6, 3);
    const conv3 = new Conv2d(store, 'conv3', 6, 8, 1);
    const linear = new Linear(store, 'linear', 8, 5);
    const norms = [6, 6, 8].map((c, i) => new BatchNorm(store, `bn${i + 1}`, c, false));
    [conv1, conv2, conv3].forEach((conv, i) => {
      const [kh, kw, cin] = conv.weight.shape;
      tf.tidy(() => conv.weight.assign(tf.tensor(formula(conv.weight.size, i + 1, 1 / Math.sqrt(kh * kw * cin)), conv.weight.shape)));
    });
    tf.tidy(() => linear.weight.assign(tf.tensor2d(formula(40, 4, 1 / Math.sqrt(8)), [8, 5])));
    tf.tidy(() => linear.bias!.assign(tf.tensor1d(formula(5, 5, 1 / Math.sqrt(8)))));
    const labels = Int32Array.of(0, 3, 1, 4);
    const batch: Batch = {
      x: tf.tensor4d(formula(4 * 9 * 9 * 3, 6, 2), [4, 9, 9, 3]),
      y: tf.oneHot(tf.tensor1d(labels, 'int32'), 5).toFloat() as tf.Tensor2D,
      labels,
      size: 4,
    };
    const kernels = ['conv1.weight', 'conv2.weight', 'conv3.weight', 'linear.weight'];
    const child: ProxyChild = {
      arch: [],
      store,
      params: [...store.params.keys()],
      kernels,
      forward: (x, mode) => {
        let h = tf.maxPool(relu6(tf.mul(norms[0].apply(conv1.apply(x), mode), 4) as tf.Tensor4D), 3, 1, 'same');
        h = tf.maxPool(relu(norms[1].apply(conv2.apply(h), mode)), 3, 2, 'same');
        h = tf.maxPool(relu6(tf.mul(norms[2].apply(conv3.apply(h), mode), 3) as tf.Tensor4D), 2, 2, 'valid');
        return linear.apply(tf.mean(h, [1, 2]) as tf.Tensor2D);
      },
    };
    const g = await lossGradients(child, batch, kernels);
    const hg = await lossHessianVectorProduct(child, batch, kernels, g);
    const norm = (v: Float32Array) => Math.sqrt(v.reduce((a, b) => a + b * b, 0));
    const weights = new Map(await Promise.all(kernels.map(async (name) => [name, (await store.get(name).data()) as Float32Array] as const)));
    let total = 0;
    for (const name of kernels) {
      const ref = REFERENCE[name.split('.')[0]];
      const w = weights.get(name)!;
      const h = hg.get(name)!;
      let grasp = 0;
      for (let i = 0; i < w.length; i++) grasp -= w[i] * h[i];
      total += grasp;
      expect(Math.abs(grasp - ref.grasp)).toBeLessThan(1e-6 * ref.abs);
      expect(Math.abs(norm(h) - ref.hg)).toBeLessThan(5e-6 * ref.hg);
      expect(Math.abs(norm(g.get(name)!) - ref.g)).toBeLessThan(5e-6 * ref.g);
    }
    const score = await graspScore(child, batch);
    expect(Math.abs(score - total)).toBeLessThan(1e-9 * Math.abs(total));
    tf.dispose([batch.x, batch.y]);
    store.dispose();
  });
});
