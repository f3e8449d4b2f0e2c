/**
 * What zero-cost proxies (synflow, NASWOT, grad-norm, SNIP, GraSP, Fisher)
 * share: the network a proxy scores for a child, the round's batch of
 * training images, and gradients of the loss with respect to the child's
 * kernels. A proxy plugin builds on these and the forward probes
 * (nn/probe.ts); the published definitions live in the plugins.
 */
import * as tf from '@tensorflow/tfjs';
import { Batch, batches } from '../data/batches';
import type { ForwardMode } from '../nn/layers';
import type { ParamStore, WeightSnapshot } from '../nn/params';
import type { JsonSchema } from '../config/schema';
import type { Architecture, InputSpec, SearchSpace, Supernet } from '../space/search-space';
import { crossEntropy } from '../train/loss';
import { DataError } from '../util/errors';
import { Rng } from '../util/rng';
import type { ChildScorer, Metric, MetricContext } from './metric';

/**
 * Which network a proxy scores for a child:
 * - 'fresh': the child as a standalone network with freshly drawn initial
 *   weights (PyTorch's default initialisation), as the proxies were published:
 *   the child of a new supernet of the space's width and depth, one per child,
 *   drawn from the round's seed and the child, so the same child gets the same
 *   weights whatever the order;
 * - 'supernet': the child inside the supernet, with the weights and
 *   batch-norm statistics the supernet has when the metric is asked (ABS's
 *   W_t), which are put back after each child.
 */
export type ProxyNetwork = 'fresh' | 'supernet';
export const PROXY_NETWORKS: readonly ProxyNetwork[] = Object.freeze(['fresh', 'supernet']);

/**
 * The JSON schema of a proxy plugin's options (ProxyRoundOptions): `network`
 * always; `batchSize` and `augment` for proxies that read a batch, with the
 * given defaults (the batch its reference code uses).
 */
export function proxyOptionsSchema(defaults: { batchSize?: number; augment?: boolean } = {}): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    network: {
      type: 'string',
      enum: [...PROXY_NETWORKS],
      default: 'fresh',
      description:
        "'fresh': score each child as a standalone network with freshly initialised weights (the published protocol); " +
        "'supernet': score the child inside the supernet, with its current weights and batch-norm statistics",
    },
  };
  if (defaults.batchSize !== undefined) {
    properties.batchSize = {
      type: 'integer',
      minimum: 2,
      default: defaults.batchSize,
      description: 'training images in the one batch of a scoring round, the same for every child',
    };
  }
  if (defaults.augment !== undefined) {
    properties.augment = { type: 'boolean', default: defaults.augment, description: 'random crop (padding 4) and horizontal flip of that batch' };
  }
  return { type: 'object', additionalProperties: false, properties };
}

/** The network a proxy scores for one child. */
export interface ProxyChild {
  readonly arch: Architecture;
  readonly store: ParamStore;
  /** The trainable parameters the child uses (the supernet's `paramsOf`). */
  readonly params: readonly string[];
  /** Of those, the convolution and linear kernels (role 'kernel'): what the zero-cost proxies sum over. */
  readonly kernels: readonly string[];
  /** Logits [batch, classes] of the child on NHWC input. */
  forward(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor2D;
}

export interface ProxyRoundOptions {
  network: ProxyNetwork;
  /** Draw one batch of this many training images for the round, shared by every child (none when absent). */
  batchSize?: number;
  /** Random crop (padding 4) and horizontal flip of that batch. */
  augment?: boolean;
}

function childOf(supernet: Supernet, arch: Architecture): ProxyChild {
  const params = supernet.paramsOf(arch);
  return {
    arch,
    store: supernet.store,
    params,
    kernels: params.filter((name) => supernet.store.roleOf(name) === 'kernel'),
    forward: (x, mode) => supernet.forward(x, arch, mode),
  };
}

/**
 * One scoring round of a proxy: `ProxyRound.prepare(ctx, ...)` in a metric's
 * `prepare`, `round.score(arch, fn)` in its scorer (fn rates the child's
 * network), `round.dispose()` in the scorer's dispose.
 */
export class ProxyRound {
  private constructor(
    private readonly ctx: MetricContext,
    readonly network: ProxyNetwork,
    /** The round's batch (when a batch size was given). */
    readonly batch: Batch | undefined,
    private readonly seed: number,
    private readonly saved?: { params: WeightSnapshot; buffers: WeightSnapshot },
  ) {}

  static async prepare(ctx: MetricContext, metric: string, options: ProxyRoundOptions): Promise<ProxyRound> {
    // one seed per round: fresh weights depend on it and the child only
    const seed = ctx.rng.nextUint32();
    let batch: Batch | undefined;
    if (options.batchSize !== undefined) {
      batch = batches(ctx.data.train, ctx.data.input, options.batchSize, { rng: ctx.rng.fork('batch'), augment: options.augment, limit: 1 }).next()
        .value as Batch | undefined;
      if (!batch) throw new DataError(`${metric}: the training split is empty`);
      if (batch.size < options.batchSize) {
        const size = batch.size;
        batch.x.dispose();
        batch.y.dispose();
        throw new DataError(`${metric}: batchSize ${options.batchSize} is larger than the ${size} training images`);
      }
    }
    // the supernet's own state, put back after each child (asynchronous reads: webgpu reads no other way)
    const saved =
      options.network === 'supernet'
        ? { params: await ctx.supernet.store.read(), buffers: await ctx.supernet.store.readBuffers() }
        : undefined;
    return new ProxyRound(ctx, options.network, batch, seed, saved);
  }

  /** The shape of the data's images. */
  get input(): InputSpec {
    return this.ctx.data.input;
  }

  get space(): SearchSpace {
    return this.ctx.space;
  }

  /**
   * `fn` on the child's network. `fn` may change the network's parameters and
   * batch-norm statistics: a fresh network is disposed after, the supernet's
   * child gets its values back.
   */
  async score(arch: Architecture, fn: (child: ProxyChild) => Promise<number>): Promise<number> {
    const { space, data, supernet } = this.ctx;
    if (this.network === 'fresh') {
      const fresh = space.createSupernet(data.input, new Rng(this.seed).fork(space.format(arch)));
      try {
        return await fn(childOf(fresh, arch));
      } finally {
        fresh.dispose();
      }
    }
    const child = childOf(supernet, arch);
    try {
      return await fn(child);
    } finally {
      const { params, buffers } = this.saved!;
      supernet.store.load(new Map(child.params.map((name) => [name, params.get(name)!])));
      supernet.store.load(buffers, 'buffers');
    }
  }

  dispose(): void {
    this.batch?.x.dispose();
    this.batch?.y.dispose();
  }
}

/** The mean cross-entropy of the child's logits on `batch`, batch norm in training mode (batch statistics). */
function childLoss(child: ProxyChild, batch: Batch): () => tf.Scalar {
  return () => crossEntropy(child.forward(batch.x, 'train'), batch.y);
}

/** Gradients by variable of tf.variableGrads, in the order of `variables`; zeros for one the value does not depend on. */
function inOrder(variables: tf.Variable[], byName: tf.NamedTensorMap): tf.Tensor[] {
  return variables.map((v) => byName[v.name] ?? tf.zerosLike(v));
}

/** `tensors` read to JS under `names` (and disposed). */
async function snapshot(names: readonly string[], tensors: tf.Tensor[]): Promise<WeightSnapshot> {
  const values = await Promise.all(tensors.map((g) => g.data() as Promise<Float32Array>));
  tensors.forEach((g) => g.dispose());
  return new Map(names.map((name, i) => [name, values[i]]));
}

/**
 * Gradients of the mean cross-entropy of the child's logits on `batch` (batch
 * norm in training mode: batch statistics) with respect to the parameters
 * `names`, read to JS; zeros for a parameter the loss does not depend on.
 * `around` wraps the loss computation (e.g. in a forward probe).
 */
export async function lossGradients(
  child: ProxyChild,
  batch: Batch,
  names: readonly string[],
  around: (loss: () => tf.Scalar) => tf.Scalar = (loss) => loss(),
): Promise<WeightSnapshot> {
  const variables = names.map((name) => child.store.get(name));
  const loss = childLoss(child, batch);
  const grads = tf.tidy(() => {
    const { value, grads: byName } = tf.variableGrads(() => around(loss), variables);
    value.dispose();
    return inOrder(variables, byName);
  });
  return snapshot(names, grads);
}

/**
 * H v: the Hessian of the same loss with respect to the parameters `names`
 * times the vector `v` (a value for each of them), read to JS. Exact, by
 * double backpropagation: the gradient of v . dL/dW (v held constant), as
 * PyTorch's autograd.grad with create_graph=True; every op of a core network
 * has a gradient that tfjs can differentiate again (backend/second-order-gradients.ts).
 */
export async function lossHessianVectorProduct(
  child: ProxyChild,
  batch: Batch,
  names: readonly string[],
  v: WeightSnapshot,
): Promise<WeightSnapshot> {
  const variables = names.map((name) => child.store.get(name));
  const loss = childLoss(child, batch);
  const hv = tf.tidy(() => {
    const direction = variables.map((w, i) => {
      const values = v.get(names[i]);
      if (!values || values.length !== w.size) throw new Error(`lossHessianVectorProduct: v needs ${w.size} values for '${names[i]}'`);
      return tf.tensor(values, w.shape);
    });
    const { value, grads: byName } = tf.variableGrads(() => {
      const inner = tf.variableGrads(loss, variables);
      const terms = variables.flatMap((w, i) => {
        const g = inner.grads[w.name];
        return g ? [tf.sum(tf.mul(g, direction[i]))] : [];
      });
      return (terms.length === 0 ? tf.scalar(0) : tf.addN(terms)) as tf.Scalar;
    }, variables);
    value.dispose();
    return inOrder(variables, byName);
  });
  return snapshot(names, hv);
}

/**
 * The metric of a zero-cost proxy: each scoring round is a ProxyRound with
 * `options`, and a child's score is `score` on its network. What a proxy
 * plugin registers under METRIC (plugin/proxy-plugin.ts).
 */
export function proxyMetric(
  name: string,
  options: ProxyRoundOptions,
  score: (child: ProxyChild, round: ProxyRound) => Promise<number>,
): Metric {
  return {
    name,
    async prepare(ctx: MetricContext): Promise<ChildScorer> {
      const round = await ProxyRound.prepare(ctx, name, options);
      return {
        score: (arch: Architecture) => round.score(arch, (child) => score(child, round)),
        dispose: () => round.dispose(),
      };
    },
  };
}
