/**
 * absnas-metric-gradnorm: the gradient norm at initialisation, a
 * training-free metric for ABS (Angle-Based search space Shrinking).
 *
 *   gradnorm(a) = sqrt( sum over p in P(a) of || dL(a; W0, B) / dp ||^2 )
 *
 * P(a): the trainable parameters child `a` uses (supernet.paramsOf(a));
 * W0: the supernet's base weights (its initialisation);
 * B: one batch of `batchSize` training images, the same for every child of
 *    a scoring round;
 * L: the mean cross-entropy of the child's logits on B, batch norm
 *    normalising with the statistics of B.
 * Higher is better.
 */
import { Architecture, batches, ChildScorer, crossEntropy, definePlugin, METRIC, Metric, MetricContext, tf } from '@absnas/core';

export interface GradNormOptions {
  /** Training images in the batch B. */
  batchSize: number;
}

export class GradNormMetric implements Metric {
  readonly name = 'gradnorm';

  constructor(private readonly options: GradNormOptions) {}

  async prepare(ctx: MetricContext): Promise<ChildScorer> {
    const { supernet, data } = ctx;
    const store = supernet.store;
    // B: drawn with this round's seeded generator, shared by every child of the round
    const batch = batches(data.train, data.input, this.options.batchSize, { rng: ctx.rng, limit: 1 }).next().value;
    if (!batch) throw new Error('gradnorm: the training split is empty');
    // score at W0: keep the trained weights and batch-norm statistics, to put them back afterwards
    // (asynchronous reads: a GPU backend cannot read tensors synchronously)
    const trained = await store.read();
    const statistics = await store.readBuffers();
    store.load(ctx.base);

    const score = async (arch: Architecture): Promise<number> => {
      const variables = supernet.paramsOf(arch).map((name) => store.get(name));
      const total = tf.tidy(() => {
        const { grads } = tf.variableGrads(() => crossEntropy(supernet.forward(batch.x, arch, 'train'), batch.y), variables);
        return tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))));
      });
      const [sumOfSquares] = await total.data();
      total.dispose();
      return Math.sqrt(sumOfSquares);
    };
    const dispose = (): void => {
      store.load(trained);
      store.load(statistics, 'buffers');
      batch.x.dispose();
      batch.y.dispose();
    };
    return { score, dispose };
  }
}

export const plugin = definePlugin<GradNormOptions>({
  name: 'absnas-metric-gradnorm',
  apiVersion: '2.0.0',
  kind: 'metric',
  description: "Gradient norm at initialisation (training-free): the L2 norm of a child's loss gradient at the base weights W0, on one batch.",
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      batchSize: { type: 'integer', minimum: 1, default: 64, description: 'training images in the batch the gradient is taken on' },
    },
  },
  register(container, options) {
    container.register(METRIC, { useValue: new GradNormMetric(options) });
  },
});

export default plugin;
