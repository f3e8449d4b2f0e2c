import * as tf from '@tensorflow/tfjs';
import { fusedSgdActive, fusedSgdStep } from '../backend/native';
import { type ParamStore, readTensors } from '../nn/params';

export interface SgdOptions {
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  /** Which parameters weight decay applies to (every one when absent). */
  decays?: (name: string) => boolean;
  /**
   * Keep updating a parameter off the sampled path once it has had a
   * gradient: it gets a zero gradient, so weight decay and momentum still
   * move it (PyTorch <= 1.5's zero_grad kept zeroed gradients; the NB201
   * reference trains so). Off (absent): such a parameter is left untouched.
   */
  offPath?: boolean;
}

/** Which parameters get weight decay: `all`, or `weights` (conv and linear kernels: no biases, no batch-norm scale/shift). */
export type WeightDecayScope = 'all' | 'weights';

/**
 * The `decays` filter of a scope over a store's parameters, by the role each
 * was created with (undefined for `all`). The ImageNet recipe decays conv and
 * classifier kernels only.
 */
export function weightDecayFilter(scope: WeightDecayScope | undefined, store: ParamStore): ((name: string) => boolean) | undefined {
  if (scope === undefined || scope === 'all') return undefined;
  if (scope === 'weights') return (name) => store.roleOf(name) === 'kernel';
  throw new Error(`train.weightDecayScope must be 'all' or 'weights', got ${JSON.stringify(scope)}`);
}

/**
 * SGD with momentum, optional Nesterov, and L2 weight decay added to the
 * gradient: the update of PyTorch's torch.optim.SGD, so hyperparameters from
 * the reference code mean the same here. A parameter without a gradient in a
 * step (an operator not on the sampled path) is left untouched, momentum too.
 *
 * `step` can clip the gradients' global norm first (`clipNorm`, as
 * clipGlobalNorm). On wasm with absnas's native kernels, clip and update run
 * as one kernel over all parameters (backend/native/optimizer.ts): the same
 * float32 arithmetic, one call instead of ~10 tfjs ops per parameter.
 */
export class Sgd {
  private readonly velocity = new Map<string, tf.Variable>();
  /** With `offPath`: the parameters that have had a gradient, in the order they first had one. */
  private readonly touched = new Set<string>();

  constructor(private readonly options: SgdOptions) {}

  /**
   * One update of every parameter with a gradient in `grads`, after clipping
   * their global L2 norm to `clipNorm` when it is > 0. The map's tensors stay
   * the caller's (clipping may replace them, as clipGlobalNorm does; with
   * `offPath`, zero gradients are added to it for the parameters off the path).
   */
  step(params: ReadonlyMap<string, tf.Variable>, grads: tf.NamedTensorMap, learningRate: number, clipNorm = 0): void {
    const { momentum, nesterov, weightDecay, decays } = this.options;
    if (this.options.offPath) {
      for (const name of Object.keys(grads)) this.touched.add(name);
      for (const name of this.touched) {
        const p = params.get(name);
        if (!grads[name] && p) grads[name] = tf.zerosLike(p);
      }
    }
    // Buffers for every parameter up front: a zero buffer gives PyTorch's first
    // step (buf = d) and keeps the tensor count constant from the first step on.
    if (momentum > 0 && this.velocity.size === 0) {
      tf.tidy(() => {
        for (const [name, p] of params) this.velocity.set(name, tf.variable(tf.zerosLike(p), false));
      });
    }
    const paramOf = (name: string): tf.Variable => {
      const p = params.get(name);
      if (!p) throw new Error(`gradient for unknown parameter ${name}`);
      return p;
    };
    if (fusedSgdActive()) {
      const entries = Object.entries(grads).map(([name, grad]) => ({
        param: paramOf(name),
        grad,
        velocity: this.velocity.get(name),
        decays: weightDecay > 0 && (!decays || decays(name)),
      }));
      fusedSgdStep(entries, { learningRate, momentum, weightDecay, nesterov, maxNorm: clipNorm });
      return;
    }
    if (clipNorm > 0) clipGlobalNorm(grads, clipNorm);
    tf.tidy(() => {
      for (const [name, grad] of Object.entries(grads)) {
        const p = paramOf(name);
        let d: tf.Tensor = weightDecay > 0 && (!decays || decays(name)) ? tf.add(grad, tf.mul(p, weightDecay)) : grad;
        if (momentum > 0) {
          const v = this.velocity.get(name) as tf.Variable;
          const buf = tf.add(tf.mul(v, momentum), d);
          v.assign(buf);
          d = nesterov ? tf.add(d, tf.mul(buf, momentum)) : buf;
        }
        p.assign(tf.sub(p, tf.mul(d, learningRate)));
      }
    });
  }

  /** The momentum buffers, read synchronously (see `readState`). */
  getState(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const [name, v] of this.velocity) out[name] = v.dataSync() as Float32Array;
    return out;
  }

  /** The momentum buffers, read asynchronously: works on every backend. */
  async readState(): Promise<Record<string, Float32Array>> {
    return Object.fromEntries(await readTensors(this.velocity));
  }

  /** The momentum buffer of a parameter (undefined before the first step or without momentum); not to be disposed. */
  velocityOf(name: string): tf.Tensor | undefined {
    return this.velocity.get(name);
  }

  /** With `offPath`: the parameters that have had a gradient (checkpointed beside the momentum). */
  touchedNames(): string[] {
    return [...this.touched];
  }

  setTouched(names: readonly string[]): void {
    this.touched.clear();
    for (const n of names) this.touched.add(n);
  }

  setState(state: Record<string, Float32Array>, shapes: ReadonlyMap<string, tf.Variable>): void {
    this.dispose();
    for (const [name, data] of Object.entries(state)) {
      const p = shapes.get(name);
      if (!p) throw new Error(`optimizer state for unknown parameter ${name}`);
      tf.tidy(() => void this.velocity.set(name, tf.variable(tf.tensor(data, p.shape), false)));
    }
  }

  dispose(): void {
    for (const v of this.velocity.values()) v.dispose();
    this.velocity.clear();
  }
}

/**
 * The sum of many tensors of one shape, as a tree of addN calls of at most 4
 * inputs: tfjs-backend-webgpu binds every addN input as its own storage
 * buffer, and an adapter may allow as few as 8 per shader (lavapipe does),
 * past which the kernel is silently invalid.
 */
function addAll(ts: tf.Tensor[]): tf.Tensor {
  let level = ts;
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += 4) {
      const group = level.slice(i, i + 4);
      next.push(group.length === 1 ? group[0] : tf.addN(group));
    }
    level = next;
  }
  return level[0];
}

/**
 * Clip every gradient element to [-maxValue, maxValue] (torch's
 * clip_grad_value_; the map is updated in place, 0 = off).
 */
export function clipByValue(grads: tf.NamedTensorMap, maxValue: number): void {
  if (!(maxValue > 0)) return;
  for (const n of Object.keys(grads)) {
    const old = grads[n];
    grads[n] = tf.clipByValue(old, -maxValue, maxValue);
    old.dispose();
  }
}

/**
 * Scale gradients so that their global L2 norm is at most maxNorm (the map is
 * updated in place). Done on tensors, so no synchronous read stalls the step.
 */
export function clipGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): void {
  const names = Object.keys(grads);
  if (!(maxNorm > 0) || names.length === 0) return;
  const scale = tf.tidy(() => {
    const norm = tf.sqrt(addAll(names.map((n) => tf.sum(tf.square(grads[n])))));
    return tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
  });
  for (const n of names) {
    const old = grads[n];
    grads[n] = tf.mul(old, scale);
    old.dispose();
  }
  scale.dispose();
}
