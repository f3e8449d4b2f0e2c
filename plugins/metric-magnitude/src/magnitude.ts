import {
  Architecture,
  CandidateSet,
  ChildScorer,
  ChoicePoint,
  DARTS_ARCHITECTURE_OPTIMIZER,
  Metric,
  MetricContext,
  MixturePath,
  mixtureSupernet,
  Participation,
  ParticipationContext,
  Rng,
  SpaceRequirements,
  Supernet,
  VectorAdam,
  tf,
} from '@absnas/core';

export interface MagnitudeMetricOptions {
  /** Adam learning rate of the architecture weights (DARTS: 3e-4). */
  learningRate: number;
  /** L2 weight decay of the architecture weights (DARTS: 1e-3). */
  weightDecay: number;
  /** Adam's first-moment decay (DARTS: 0.5). */
  beta1: number;
  beta2: number;
  /** Standard deviation of the initial architecture weights (DARTS: 1e-3). */
  initStd: number;
}

/** DARTS's architecture optimizer: Adam lr 3e-4, betas (0.5, 0.999), weight decay 1e-3; alpha ~ 1e-3 N(0, 1). */
export const DEFAULT_MAGNITUDE_OPTIONS: MagnitudeMetricOptions = {
  learningRate: DARTS_ARCHITECTURE_OPTIMIZER.learningRate,
  weightDecay: DARTS_ARCHITECTURE_OPTIMIZER.weightDecay,
  beta1: DARTS_ARCHITECTURE_OPTIMIZER.beta1,
  beta2: DARTS_ARCHITECTURE_OPTIMIZER.beta2,
  initStd: DARTS_ARCHITECTURE_OPTIMIZER.initStd,
};

/** Added to the logits of dropped candidates: exp() of it is exactly 0 in float32. */
const MASKED = -1e9;

/**
 * softmax over the remaining candidates of every choice point, in float64:
 * out[p][k] for the k-th candidate of point p in the space (0 for dropped ones).
 */
export function maskedSoftmax(alpha: ArrayLike<number>, points: readonly ChoicePoint[], candidates: CandidateSet, width: number): number[][] {
  return points.map((point, p) => {
    const kept = point.candidates.map((op) => candidates.lists[p].includes(op));
    let max = -Infinity;
    point.candidates.forEach((_, k) => {
      if (kept[k]) max = Math.max(max, alpha[p * width + k]);
    });
    const e = point.candidates.map((_, k) => (kept[k] ? Math.exp(alpha[p * width + k] - max) : 0));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / sum);
  });
}

/**
 * Forward value 1, gradient that of `soft`: hard one-hot + soft - stopGradient(soft)
 * at the chosen entry (tfjs has no stopGradient, so a custom gradient).
 */
export const straightThrough = tf.customGrad(((soft: tf.Tensor) => ({
  value: tf.onesLike(soft),
  gradFunc: (dy: tf.Tensor) => dy,
})) as unknown as Parameters<typeof tf.customGrad>[0]) as (soft: tf.Tensor) => tf.Tensor;

/**
 * The weights of a GDAS-style single path: for each choice point p, the
 * chosen candidate `chosen[p]` (an index into the space's candidate list of p)
 * with weight 1 in the forward pass and the gradient of softmax(alpha + mask)[p, chosen[p]].
 * Called inside the gradient tape, so alpha receives gradients.
 */
export function straightThroughWeights(alpha: tf.Tensor2D, mask: tf.Tensor2D, chosen: readonly number[]): tf.Tensor1D[] {
  const soft = tf.softmax(tf.add(alpha, mask) as tf.Tensor2D);
  return chosen.map((k, p) => straightThrough(tf.reshape(tf.slice(soft, [p, k], [1, 1]), [1])) as tf.Tensor1D);
}

interface AlphaCheckpoint {
  alpha: number[];
  adam: { m: number[]; v: number[]; t: number };
}

/** Architecture weights of one supernet, and their optimizer. */
class AlphaState {
  readonly variable: tf.Variable;
  /** Float64 master copy, [points x width] row-major. */
  readonly values: Float64Array;
  readonly width: number;
  readonly adam: VectorAdam;
  private mask?: { key: string; tensor: tf.Tensor2D };

  constructor(readonly points: readonly ChoicePoint[], options: MagnitudeMetricOptions, rng: Rng) {
    this.width = Math.max(...points.map((p) => p.candidates.length));
    this.values = new Float64Array(points.length * this.width);
    points.forEach((point, p) => {
      for (let k = 0; k < this.width; k++) {
        this.values[p * this.width + k] = k < point.candidates.length ? options.initStd * rng.normal() : MASKED;
      }
    });
    this.variable = tf.variable(tf.tensor2d(Float32Array.from(this.values), [points.length, this.width]), true);
    this.adam = new VectorAdam(this.values.length, { ...options, eps: DARTS_ARCHITECTURE_OPTIMIZER.eps });
  }

  /** MASKED at dropped candidates (and at padding), 0 elsewhere; cached per candidate set. */
  maskFor(candidates: CandidateSet): tf.Tensor2D {
    const key = candidates.lists.map((l) => l.join(',')).join('|');
    if (this.mask?.key !== key) {
      this.mask?.tensor.dispose();
      const m = new Float32Array(this.values.length).fill(MASKED);
      this.points.forEach((point, p) => {
        point.candidates.forEach((op, k) => {
          if (candidates.lists[p].includes(op)) m[p * this.width + k] = 0;
        });
      });
      this.mask = { key, tensor: tf.tensor2d(m, [this.points.length, this.width]) };
    }
    return this.mask.tensor;
  }

  softmax(candidates: CandidateSet): number[][] {
    return maskedSoftmax(this.values, this.points, candidates, this.width);
  }

  /** Float64 values and optimizer moments, exactly (JSON keeps doubles). */
  capture(): { state: AlphaCheckpoint } {
    const { m, v, t } = this.adam;
    return { state: { alpha: Array.from(this.values), adam: { m: Array.from(m), v: Array.from(v), t } } };
  }

  restore(saved: unknown): void {
    const s = saved as AlphaCheckpoint;
    if (!s || !Array.isArray(s.alpha) || s.alpha.length !== this.values.length || s.adam?.m?.length !== this.values.length) {
      throw new Error(`magnitude metric: checkpointed architecture weights do not fit this space (${this.values.length} values)`);
    }
    this.values.set(s.alpha);
    this.adam.m.set(s.adam.m);
    this.adam.v.set(s.adam.v);
    this.adam.t = s.adam.t;
    tf.tidy(() => this.variable.assign(tf.tensor2d(Float32Array.from(this.values), this.variable.shape as [number, number])));
  }

  update(grad: Float32Array): void {
    this.adam.step(this.values, grad);
    tf.tidy(() => this.variable.assign(tf.tensor2d(Float32Array.from(this.values), this.variable.shape as [number, number])));
  }

  dispose(): void {
    this.variable.dispose();
    this.mask?.tensor.dispose();
  }
}

/**
 * The magnitude baseline of ABS: DARTS-style architecture weights alpha
 * [choice points x candidates], trained jointly with the supernet weights.
 *
 * Training: each step runs one path. At every choice point a candidate k is
 * drawn from softmax(alpha) over the remaining candidates, and its output is
 * multiplied by a weight whose forward value is 1 and whose gradient is that
 * of softmax(alpha)[k] (GDAS's straight-through estimator). The supernet
 * weights thus see single-path training, and alpha gets the gradient of the
 * same training loss; it is updated by Adam after each step.
 *
 * Scoring: operator (p, op) has magnitude softmax(alpha)[p, op]; a child's
 * score is the mean of its operators' magnitudes. With every child counted,
 * the mean score of the children containing (p, op) is softmax(alpha)[p, op]/P
 * plus a term that is the same for every operator when all choice points keep
 * equally many candidates, so ranking operators by that mean is ranking them
 * by softmax(alpha). (The sum of logs, i.e. the child's probability, would add
 * a term that differs between choice points.)
 */
export class MagnitudeMetric implements Metric {
  readonly name = 'magnitude';
  /** It trains the supernet on mixture paths (one operator per choice point, weighted by alpha). */
  readonly requirements: SpaceRequirements = { mixtures: true };
  readonly options: MagnitudeMetricOptions;
  private readonly states = new WeakMap<Supernet, AlphaState>();

  constructor(options: Partial<MagnitudeMetricOptions> = {}) {
    this.options = { ...DEFAULT_MAGNITUDE_OPTIONS, ...options };
  }

  participate(ctx: ParticipationContext): Participation {
    mixtureSupernet(ctx.supernet, 'the magnitude metric');
    if (this.states.has(ctx.supernet)) throw new Error('magnitude metric: already taking part in the training of this supernet');
    const points = ctx.space.choicePoints;
    const state = new AlphaState(points, this.options, ctx.rng);
    this.states.set(ctx.supernet, state);

    const sampler = (rng: Rng): MixturePath[] => {
      const candidates = ctx.candidates();
      const probs = state.softmax(candidates);
      const chosen = probs.map((row) => {
        const u = rng.next();
        let acc = 0;
        let last = 0;
        for (let k = 0; k < row.length; k++) {
          if (row[k] <= 0) continue;
          last = k;
          acc += row[k];
          if (u < acc) return k;
        }
        return last;
      });
      const mask = state.maskFor(candidates);
      return [
        {
          ops: chosen.map((k, p) => [points[p].candidates[k]]),
          weights: () => straightThroughWeights(state.variable as tf.Tensor2D, mask, chosen),
        },
      ];
    };
    return {
      sampler,
      participant: {
        variables: () => [state.variable],
        // read asynchronously (webgpu in Node reads no other way); the trainer waits before disposing the gradient
        update: async (grads) => {
          const g = grads.get(state.variable);
          // no gradient: every chosen path was cut (e.g. `none` everywhere)
          if (g) state.update((await g.data()) as Float32Array);
        },
      },
      state: {
        capture: () => state.capture(),
        restore: (saved) => state.restore(saved),
      },
      dispose: () => {
        state.dispose();
        this.states.delete(ctx.supernet);
      },
    };
  }

  /** softmax(alpha) over the remaining candidates, per choice point, for a supernet this metric trained with. */
  magnitudes(supernet: Supernet, candidates: CandidateSet): number[][] {
    const state = this.states.get(supernet);
    if (!state) {
      throw new Error(
        'magnitude metric: this supernet was not trained with the metric taking part ' +
          '(whoever trains it must call metric.participate and train with its sampler and participant)',
      );
    }
    return state.softmax(candidates);
  }

  /** Adam steps taken by the architecture weights of `supernet` (0 if none). */
  steps(supernet: Supernet): number {
    return this.states.get(supernet)?.adam.t ?? 0;
  }

  async prepare(ctx: MetricContext): Promise<ChildScorer> {
    const soft = this.magnitudes(ctx.supernet, ctx.candidates);
    const points = ctx.space.choicePoints;
    return {
      score: (arch: Architecture): number => {
        let sum = 0;
        arch.forEach((op, p) => {
          const k = points[p].candidates.indexOf(op);
          if (k < 0) throw new Error(`magnitude metric: '${op}' is not a candidate of ${points[p].id}`);
          sum += soft[p][k];
        });
        return sum / arch.length;
      },
    };
  }
}
