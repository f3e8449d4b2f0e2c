/**
 * The machinery of differentiable searchers (DARTS, PDARTS, and later
 * ProxylessNAS): architecture weights alpha over the remaining candidates of
 * every choice point, their Adam optimizer, the first- and second-order
 * architecture gradients of DARTS, and the derivation of the final child.
 */
import * as tf from '@tensorflow/tfjs';
import type { Checkpointable } from '../checkpoint/checkpointer';
import type { JsonSchema } from '../config/schema';
import type { CandidateSet } from '../space/candidates';
import type { MixtureSupernet } from '../space/requirements';
import type { Architecture, ChoicePoint, Mixture, SearchSpace } from '../space/search-space';
import { lossAndGradients, readScalars } from '../train/epoch-trainer';
import { crossEntropy } from '../train/loss';
import type { Rng } from '../util/rng';

export interface ArchitectureOptimizerOptions {
  /** Adam learning rate of alpha (DARTS 3e-4, PDARTS 6e-4). */
  learningRate: number;
  /** Adam's first-moment decay (DARTS 0.5). */
  beta1: number;
  beta2: number;
  /** L2 weight decay added to alpha's gradient (DARTS 1e-3). */
  weightDecay: number;
  eps: number;
  /** Standard deviation of the initial alpha (DARTS 1e-3). */
  initStd: number;
  /** Clip the global norm of alpha's gradient to this value (0 = off; PDARTS clips at 5). */
  gradientClip: number;
}

/** The architecture optimizer of the DARTS reference code. */
export const DARTS_ARCHITECTURE_OPTIMIZER: Readonly<ArchitectureOptimizerOptions> = Object.freeze({
  learningRate: 3e-4,
  beta1: 0.5,
  beta2: 0.999,
  weightDecay: 1e-3,
  eps: 1e-8,
  initStd: 1e-3,
  gradientClip: 0,
});

/** Schema of ArchitectureOptimizerOptions, for searcher plugins to embed in theirs. */
export function architectureOptimizerSchema(defaults: Partial<ArchitectureOptimizerOptions> = {}): JsonSchema {
  const d = { ...DARTS_ARCHITECTURE_OPTIMIZER, ...defaults };
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    description: 'Adam on the architecture weights alpha (validation batches)',
    properties: {
      learningRate: { type: 'number', exclusiveMinimum: 0, default: d.learningRate },
      beta1: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: d.beta1 },
      beta2: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: d.beta2 },
      weightDecay: { type: 'number', minimum: 0, default: d.weightDecay },
      eps: { type: 'number', exclusiveMinimum: 0, default: d.eps },
      initStd: { type: 'number', minimum: 0, default: d.initStd, description: 'standard deviation of the initial alpha' },
      gradientClip: { type: 'number', minimum: 0, default: d.gradientClip, description: "clip alpha's gradient norm (0 = off)" },
    },
  };
}

/**
 * Adam with L2 weight decay added to the gradient (PyTorch's torch.optim.Adam
 * with `weight_decay`), on a float64 vector held in JavaScript: alpha is
 * small, and float64 keeps a resumed run exact.
 */
export class VectorAdam {
  readonly m: Float64Array;
  readonly v: Float64Array;
  t = 0;

  constructor(readonly size: number, private readonly options: Pick<ArchitectureOptimizerOptions, 'learningRate' | 'beta1' | 'beta2' | 'eps' | 'weightDecay'>) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  /** Update `params` in place from `grad`. */
  step(params: Float64Array, grad: ArrayLike<number>): void {
    const { learningRate, beta1, beta2, eps, weightDecay } = this.options;
    if (params.length !== this.size || grad.length !== this.size) {
      throw new Error(`adam: expected ${this.size} values, got params ${params.length} and gradient ${grad.length}`);
    }
    this.t++;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    for (let i = 0; i < this.size; i++) {
      const g = grad[i] + weightDecay * params[i];
      this.m[i] = beta1 * this.m[i] + (1 - beta1) * g;
      this.v[i] = beta2 * this.v[i] + (1 - beta2) * g * g;
      params[i] -= (learningRate * (this.m[i] / c1)) / (Math.sqrt(this.v[i] / c2) + eps);
    }
  }
}

interface AlphaState {
  ops: string[][];
  values: number[];
  m: number[];
  v: number[];
  t: number;
}

/**
 * Architecture weights alpha: one vector per choice point over its remaining
 * candidates (in the space's candidate order), so a mixed op holds only the
 * kept candidates. The mixture weights are softmax(alpha) per choice point.
 * A float64 master copy is updated by Adam and copied into the tfjs variables.
 */
export class ArchitectureWeights implements Checkpointable {
  /** The candidates each choice point mixes. */
  readonly ops: string[][];
  /** One variable per choice point, of length ops[i].length. */
  readonly variables: tf.Variable[];
  private readonly values: Float64Array;
  private readonly offsets: number[];
  private readonly adam: VectorAdam;

  constructor(
    readonly points: readonly ChoicePoint[],
    candidates: CandidateSet,
    readonly options: ArchitectureOptimizerOptions,
    rng: Rng,
  ) {
    this.ops = points.map((p, i) => p.candidates.filter((op) => candidates.lists[i].includes(op)));
    this.offsets = [];
    let n = 0;
    for (const list of this.ops) {
      this.offsets.push(n);
      n += list.length;
    }
    this.values = new Float64Array(n);
    for (let i = 0; i < n; i++) this.values[i] = options.initStd * rng.normal();
    this.adam = new VectorAdam(n, options);
    this.variables = this.ops.map((list, p) =>
      tf.variable(tf.tensor1d(Float32Array.from(this.values.subarray(this.offsets[p], this.offsets[p] + list.length))), true),
    );
  }

  /** Adam steps taken. */
  get steps(): number {
    return this.adam.t;
  }

  /** softmax(alpha) per choice point as tensors: call inside a gradient tape to differentiate through them. */
  weights(): tf.Tensor1D[] {
    return this.variables.map((v) => tf.softmax(v as tf.Tensor1D));
  }

  /** The mixture over the kept candidates with weights softmax(alpha). */
  mixture(dropout?: Mixture['dropout']): Mixture {
    return { ops: this.ops, weights: this.weights(), ...(dropout ? { dropout } : {}) };
  }

  /** softmax(alpha) per choice point in float64, over `ops[i]`. */
  probabilities(): number[][] {
    return this.ops.map((list, p) => {
      const a = Array.from(this.values.subarray(this.offsets[p], this.offsets[p] + list.length));
      const max = Math.max(...a);
      const e = a.map((x) => Math.exp(x - max));
      const sum = e.reduce((s, x) => s + x, 0);
      return e.map((x) => x / sum);
    });
  }

  /** softmax(alpha) per choice point over the space's full candidate list, 0 for dropped candidates (the input of `derive`). */
  fullWeights(): Float32Array[] {
    const probs = this.probabilities();
    return this.points.map((point, p) => Float32Array.from(point.candidates.map((op) => {
      const k = this.ops[p].indexOf(op);
      return k < 0 ? 0 : probs[p][k];
    })));
  }

  /** The raw alpha values per choice point (float64), for reports. */
  alpha(): number[][] {
    return this.ops.map((list, p) => Array.from(this.values.subarray(this.offsets[p], this.offsets[p] + list.length)));
  }

  /**
   * One Adam step from gradients per choice point (undefined: the choice
   * point did not affect the loss, its gradient is zero). The gradient's
   * global norm is clipped first when `gradientClip` > 0. The gradients are
   * read asynchronously (all at once), so this works on every backend.
   */
  async step(grads: readonly (tf.Tensor | undefined)[]): Promise<void> {
    if (grads.length !== this.variables.length) {
      throw new Error(`architecture weights: ${grads.length} gradients for ${this.variables.length} choice points`);
    }
    const g = new Float64Array(this.values.length);
    const read = await Promise.all(grads.map((t) => t?.data()));
    read.forEach((data, p) => {
      if (!data) return;
      if (data.length !== this.ops[p].length) {
        throw new Error(`architecture weights: gradient of ${data.length} values for choice point ${this.points[p].id} with ${this.ops[p].length}`);
      }
      g.set(data, this.offsets[p]);
    });
    const clip = this.options.gradientClip;
    if (clip > 0) {
      let norm = 0;
      for (const x of g) norm += x * x;
      norm = Math.sqrt(norm);
      const scale = Math.min(clip / (norm + 1e-6), 1);
      if (scale < 1) for (let i = 0; i < g.length; i++) g[i] *= scale;
    }
    this.adam.step(this.values, g);
    this.syncVariables();
  }

  capture(): { state: AlphaState } {
    return {
      state: { ops: this.ops, values: Array.from(this.values), m: Array.from(this.adam.m), v: Array.from(this.adam.v), t: this.adam.t },
    };
  }

  restore(saved: unknown): void {
    const s = saved as AlphaState;
    if (JSON.stringify(s.ops) !== JSON.stringify(this.ops)) {
      throw new Error(`architecture weights: the checkpoint holds other candidates (${JSON.stringify(s.ops)})`);
    }
    this.values.set(s.values);
    this.adam.m.set(s.m);
    this.adam.v.set(s.v);
    this.adam.t = s.t;
    this.syncVariables();
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }

  private syncVariables(): void {
    tf.tidy(() => {
      this.variables.forEach((v, p) => {
        v.assign(tf.tensor1d(Float32Array.from(this.values.subarray(this.offsets[p], this.offsets[p] + this.ops[p].length))));
      });
    });
  }
}

/**
 * The final child from architecture weights (`weights[i][k]` for
 * `choicePoints[i].candidates[k]`, 0 for dropped candidates): the space's
 * own `derive` when it has one, else the strongest candidate of every choice
 * point (the first on ties).
 */
export function deriveArchitecture(space: SearchSpace, weights: readonly Float32Array[]): Architecture {
  if (weights.length !== space.choicePoints.length) {
    throw new Error(`derive: ${weights.length} weight vectors for ${space.choicePoints.length} choice points`);
  }
  if (space.derive) return space.derive(weights);
  return space.choicePoints.map((point, i) => {
    let best = -1;
    point.candidates.forEach((_, k) => {
      if (weights[i][k] > 0 && (best < 0 || weights[i][k] > weights[i][best])) best = k;
    });
    if (best < 0) throw new Error(`derive: choice point ${point.id} has no candidate with a positive weight`);
    return point.candidates[best];
  });
}

// ------------------------------------------------------------- gradients

export interface LabelledBatch {
  x: tf.Tensor4D;
  y: tf.Tensor2D;
}

export interface MixtureLossOptions {
  dropout?: Mixture['dropout'];
  labelSmoothing?: number;
}

/** The mixture's loss and correct count as tensors, and its gradients (read nothing: the callers read once). */
function mixtureTensors(
  supernet: MixtureSupernet,
  alpha: ArchitectureWeights,
  batch: LabelledBatch,
  vars: readonly tf.Variable[],
  options: MixtureLossOptions,
): { loss: tf.Scalar; correct: tf.Scalar; grads: (tf.Tensor | undefined)[] } {
  const forward = supernet.forwardMixture.bind(supernet);
  const { loss, correct, grads } = lossAndGradients(() => {
    const logits = forward(batch.x, alpha.mixture(options.dropout), 'train');
    return { logits, loss: crossEntropy(logits, batch.y, options.labelSmoothing ?? 0) };
  }, batch.y, [...vars]);
  return { loss, correct, grads: vars.map((v) => grads[v.name]) };
}

/**
 * The mixture's training-mode loss on `batch` and its gradients with respect
 * to `vars` (undefined where a variable does not affect the loss). The caller
 * disposes the gradients.
 */
export async function mixtureGradients(
  supernet: MixtureSupernet,
  alpha: ArchitectureWeights,
  batch: LabelledBatch,
  vars: readonly tf.Variable[],
  options: MixtureLossOptions = {},
): Promise<{ loss: number; correct: number; grads: (tf.Tensor | undefined)[] }> {
  const { loss, correct, grads } = mixtureTensors(supernet, alpha, batch, vars, options);
  const [lossValue, correctValue] = await readScalars([loss, correct]);
  return { loss: lossValue, correct: correctValue, grads };
}

/** dL_val/dalpha at the current weights: first-order DARTS. */
export async function firstOrderArchitectureGradient(
  supernet: MixtureSupernet,
  alpha: ArchitectureWeights,
  valBatch: LabelledBatch,
  options: MixtureLossOptions = {},
): Promise<{ loss: number; grads: (tf.Tensor | undefined)[] }> {
  const { loss, grads } = await mixtureGradients(supernet, alpha, valBatch, alpha.variables, options);
  return { loss, grads };
}

/**
 * The virtual step of second-order DARTS: the weights after one step of the
 * weights' optimizer from gradient `grad` with learning rate `xi` (DARTS
 * includes the momentum buffer and the weight decay). Returns a new tensor.
 */
export type VirtualStep = (name: string, weight: tf.Tensor, grad: tf.Tensor, xi: number) => tf.Tensor;

/** w - xi * grad: the virtual step of plain SGD. */
export const plainVirtualStep: VirtualStep = (_name, w, g, xi) => tf.tidy(() => tf.sub(w, tf.mul(g, xi)));

/**
 * The architecture gradient of second-order DARTS: the gradient with respect
 * to alpha of the unrolled objective L_val(w', alpha) with
 * w' = virtualStep(w, dL_train(w, alpha)/dw), approximated as
 *
 *   dL_val(w', alpha)/dalpha - xi * (dL_train(w+, alpha)/dalpha - dL_train(w-, alpha)/dalpha) / (2 eps)
 *
 * where v = dL_val(w', alpha)/dw', w+- = w +- eps v and eps = 0.01 / ||v||
 * (the finite-difference Hessian-vector product of the DARTS paper, eq. 8).
 * The supernet's weights are restored before returning; the caller disposes
 * the returned gradients (one per choice point, undefined when zero).
 */
export async function secondOrderArchitectureGradient(
  supernet: MixtureSupernet,
  alpha: ArchitectureWeights,
  trainBatch: LabelledBatch,
  valBatch: LabelledBatch,
  xi: number,
  virtualStep: VirtualStep = plainVirtualStep,
  options: MixtureLossOptions & { r?: number } = {},
): Promise<{ loss: number; grads: (tf.Tensor | undefined)[] }> {
  const names = supernet.paramsOfMixture(alpha.ops);
  const vars = names.map((n) => supernet.store.get(n));
  const nAlpha = alpha.variables.length;
  const saved = vars.map((v) => tf.clone(v));
  const toDispose: tf.Tensor[] = [];
  try {
    // w' = one virtual optimizer step on the training batch
    const train = mixtureTensors(supernet, alpha, trainBatch, vars, options);
    tf.dispose([train.loss, train.correct]);
    const gTrain = train.grads;
    vars.forEach((v, i) => {
      const g = gTrain[i];
      if (!g) return;
      tf.tidy(() => v.assign(virtualStep(names[i], saved[i], g, xi)));
      g.dispose();
    });

    // the validation loss at w', and its gradients with respect to alpha and w'
    const atUnrolled = mixtureTensors(supernet, alpha, valBatch, [...alpha.variables, ...vars], options);
    atUnrolled.correct.dispose();
    const dAlpha = atUnrolled.grads.slice(0, nAlpha);
    const v = atUnrolled.grads.slice(nAlpha);
    toDispose.push(...(atUnrolled.grads.filter(Boolean) as tf.Tensor[]));
    // the loss and every |v_i|^2 in one read; summed in float32 in order, as addN does
    const squares = v.filter(Boolean).map((t) => tf.tidy(() => tf.sum(tf.square(t as tf.Tensor))));
    const [loss, ...parts] = await readScalars([atUnrolled.loss, ...squares]);
    let sumSq = 0;
    for (const p of parts) sumSq = Math.fround(sumSq + p);
    const norm = parts.length ? Math.sqrt(sumSq) : 0;
    if (!(norm > 0) || xi === 0) {
      return { loss, grads: dAlpha.map((g) => (g ? tf.clone(g) : undefined)) };
    }
    const eps = (options.r ?? 0.01) / norm;
    const alphaGradAt = (sign: 1 | -1): (tf.Tensor | undefined)[] => {
      vars.forEach((w, i) => {
        const d = v[i];
        tf.tidy(() => w.assign(d ? tf.add(saved[i], tf.mul(d, sign * eps)) : saved[i]));
      });
      const at = mixtureTensors(supernet, alpha, trainBatch, alpha.variables, options);
      tf.dispose([at.loss, at.correct]);
      return at.grads;
    };
    const gPos = alphaGradAt(1);
    const gNeg = alphaGradAt(-1);
    toDispose.push(...(gPos.filter(Boolean) as tf.Tensor[]), ...(gNeg.filter(Boolean) as tf.Tensor[]));
    const grads = dAlpha.map((g, p) => {
      const pos = gPos[p];
      const neg = gNeg[p];
      if (!g && !pos && !neg) return undefined;
      return tf.tidy(() => {
        const shape = alpha.variables[p].shape;
        const z = (t: tf.Tensor | undefined): tf.Tensor => t ?? tf.zeros(shape);
        const hvp = tf.div(tf.sub(z(pos), z(neg)), 2 * eps);
        return tf.sub(z(g), tf.mul(hvp, xi));
      });
    });
    return { loss, grads };
  } finally {
    vars.forEach((w, i) => w.assign(saved[i]));
    for (const t of saved) t.dispose();
    for (const t of toDispose) t.dispose();
  }
}
