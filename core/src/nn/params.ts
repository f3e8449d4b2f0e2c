import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { Rng } from '../util/rng';

/** Values of named tensors, detached from tfjs (for W0, checkpoints, angles). */
export type WeightSnapshot = Map<string, Float32Array>;

/**
 * What a parameter is, for rules that treat kinds differently (weight decay
 * on kernels only): a conv or linear kernel, a bias, a normalisation scale or
 * shift, or anything else (created without a role).
 */
export type ParamRole = 'kernel' | 'bias' | 'norm' | 'other';

/**
 * How conv and linear layers are initialised: 'pytorch' (PyTorch's defaults:
 * U(+-1/sqrt(fanIn)) for kernels and biases) or 'kaiming' (the DARTS
 * shrinking reference of ABS: conv kernels kaiming_uniform_, U(+-sqrt(6/fanIn));
 * linear kernels N(0, 0.01), linear biases 0).
 */
export type InitScheme = 'pytorch' | 'kaiming';

/**
 * Owns the tfjs variables of a supernet: trainable parameters (in creation
 * order, which is the canonical order) and non-trainable buffers such as the
 * batch-norm running statistics. Initialisation draws from a seeded Rng so a
 * supernet is identical on every backend.
 */
let storeCount = 0;

export class ParamStore {
  readonly params = new Map<string, tf.Variable>();
  readonly buffers = new Map<string, tf.Variable>();
  private readonly roles = new Map<string, ParamRole>();
  /** tfjs variable names are global: prefix them so that supernets can coexist. */
  private readonly prefix = `absnas${++storeCount}/`;

  constructor(private readonly rng: Rng, readonly init: InitScheme = 'pytorch') {
    if (init !== 'pytorch' && init !== 'kaiming') throw new Error(`init must be 'pytorch' or 'kaiming', got ${JSON.stringify(init)}`);
  }

  /** PyTorch's default conv/linear initialisation: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
  uniformFanIn(name: string, shape: number[], fanIn: number, role: ParamRole = 'other'): tf.Variable {
    return this.uniform(name, shape, 1 / Math.sqrt(fanIn), role);
  }

  /** A conv kernel by the store's init scheme. */
  convKernel(name: string, shape: number[], fanIn: number): tf.Variable {
    return this.init === 'kaiming' ? this.uniform(name, shape, Math.sqrt(6 / fanIn), 'kernel') : this.uniformFanIn(name, shape, fanIn, 'kernel');
  }

  /** A linear kernel by the store's init scheme. */
  linearKernel(name: string, shape: number[], fanIn: number): tf.Variable {
    if (this.init !== 'kaiming') return this.uniformFanIn(name, shape, fanIn, 'kernel');
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = 0.01 * this.rng.normal();
    return this.addParam(name, tf.tensor(v, shape), 'kernel');
  }

  /** A linear bias by the store's init scheme. */
  linearBias(name: string, shape: number[], fanIn: number): tf.Variable {
    return this.init === 'kaiming' ? this.constant(name, shape, 0, 'bias') : this.uniformFanIn(name, shape, fanIn, 'bias');
  }

  private uniform(name: string, shape: number[], bound: number, role: ParamRole): tf.Variable {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = (this.rng.next() * 2 - 1) * bound;
    return this.addParam(name, tf.tensor(v, shape), role);
  }

  constant(name: string, shape: number[], value: number, role: ParamRole = 'other'): tf.Variable {
    return this.addParam(name, tf.fill(shape, value), role);
  }

  /** The role the parameter was created with. */
  roleOf(name: string): ParamRole {
    const role = this.roles.get(name);
    if (!role) throw new Error(`unknown parameter ${name}`);
    return role;
  }

  buffer(name: string, shape: number[], value: number): tf.Variable {
    if (this.buffers.has(name)) throw new Error(`duplicate buffer ${name}`);
    const v = tf.tidy(() => tf.variable(tf.fill(shape, value), false, this.prefix + name));
    this.buffers.set(name, v);
    return v;
  }

  get(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`unknown parameter ${name}`);
    return v;
  }

  /**
   * Copy the current values of the named parameters (all of them by default).
   * A synchronous read: not on webgpu in Node, where `read` is the way.
   */
  snapshot(names: Iterable<string> = this.params.keys()): WeightSnapshot {
    const out: WeightSnapshot = new Map();
    for (const name of names) out.set(name, this.get(name).dataSync() as Float32Array);
    return out;
  }

  /** Values of buffers (running statistics), read synchronously (see `readBuffers`). */
  snapshotBuffers(): WeightSnapshot {
    const out: WeightSnapshot = new Map();
    for (const [name, v] of this.buffers) out.set(name, v.dataSync() as Float32Array);
    return out;
  }

  /** `snapshot`, read asynchronously: works on every backend (webgpu in Node maps buffers only so). */
  read(names: Iterable<string> = this.params.keys()): Promise<WeightSnapshot> {
    return readTensors([...names].map((name) => [name, this.get(name)]));
  }

  /** `snapshotBuffers`, read asynchronously. */
  readBuffers(): Promise<WeightSnapshot> {
    return readTensors([...this.buffers]);
  }

  load(values: WeightSnapshot, which: 'params' | 'buffers' = 'params'): void {
    const target = which === 'params' ? this.params : this.buffers;
    for (const [name, data] of values) {
      const v = target.get(name);
      if (!v) throw new Error(`unknown ${which === 'params' ? 'parameter' : 'buffer'} ${name}`);
      if (v.size !== data.length) throw new Error(`${name}: expected ${v.size} values, got ${data.length}`);
      tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
    }
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    for (const v of this.buffers.values()) v.dispose();
    this.params.clear();
    this.buffers.clear();
    this.roles.clear();
  }

  private addParam(name: string, init: tf.Tensor, role: ParamRole): tf.Variable {
    if (this.params.has(name)) throw new Error(`duplicate parameter ${name}`);
    const v = tf.variable(init, true, this.prefix + name);
    init.dispose();
    this.params.set(name, v);
    this.roles.set(name, role);
    return v;
  }
}

/** Values of named tensors, every read started before any is awaited (one wait on a GPU, not one per tensor). */
export async function readTensors(tensors: Iterable<[string, tf.Tensor]>): Promise<WeightSnapshot> {
  const list = [...tensors];
  const values = await Promise.all(list.map(([, t]) => t.data() as Promise<Float32Array>));
  return new Map(list.map(([name], i) => [name, values[i]]));
}

/**
 * Hands the float32 values of each tensor to `visit`, in order, for a reader
 * that only needs them once (the angle metric's inner products). On wasm,
 * where the tensor lives on the backend's heap, `values` is a view of that
 * memory, not a copy: valid only during the call, so `visit` must neither
 * keep it nor run tfjs ops. Elsewhere they are the copies readTensors reads.
 * A whole model's weights read by readTensors are as many new buffers, whose
 * allocation (and the garbage collection that follows) can cost more than
 * the reader's own work.
 */
export async function visitTensorValues(
  tensors: Iterable<[string, tf.Tensor]>,
  visit: (name: string, values: Float32Array) => void,
): Promise<void> {
  const list = [...tensors];
  const wasm = tf.getBackend() === 'wasm' ? (tf.backend() as BackendWasm) : undefined;
  const onHeap = (t: tf.Tensor) => wasm !== undefined && t.dtype === 'float32' && !t.isDisposed && wasm.dataIdMap.has(t.dataId);
  if (list.every(([, t]) => onHeap(t))) {
    for (const [name, t] of list) visit(name, (wasm as BackendWasm).typedArrayFromHeap(t) as Float32Array);
    return;
  }
  const values = await readTensors(list);
  for (const [name] of list) visit(name, values.get(name) as Float32Array);
}
