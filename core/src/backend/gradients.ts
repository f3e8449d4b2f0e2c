/**
 * tfjs's gradient computation (engine.gradients, behind tf.grad, tf.grads,
 * tf.variableGrads, tf.valueAndGrads) with memory released as the backward
 * pass goes.
 *
 * tfjs walks the tape backwards but frees nothing until the end: every
 * tensor saved for the backward pass lives until the last gradient is
 * computed, and so does the gradient of every intermediate tensor (they are
 * all tracked by one scope). The peak of a training step is then the saved
 * activations plus nearly all activation gradients: on the NB201 benchmark
 * 1,045 MiB where 588 MiB are saved at the end of the forward pass. This
 * version walks the same tape with the same gradient functions in the same
 * order (the results are bitwise tfjs's) and releases
 *
 * - a node's saved tensors once its gradient is computed, and those of nodes
 *   off the path from the inputs to the output right away;
 * - the gradient of a node's outputs once the node has used it;
 * - a summand once it has been added into an accumulated gradient,
 *
 * as PyTorch's autograd does. Nested gradients (a gradient inside the
 * function of another) keep tfjs's own computation: the outer pass still
 * needs every saved tensor. The outer pass walks the tape in producer order
 * (inProducerOrder), which tfjs's own computation does not: with it, the
 * gradient of a gradient also reaches the outputs a kernel saved.
 */
import * as tf from '@tensorflow/tfjs';

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: tf.NamedTensorMap;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
}

interface EngineInternals {
  state: { gradientDepth: number; activeTape: TapeNode[] | null };
  gradients(f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean): { value: tf.Tensor; grads: tf.Tensor[] };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(nameOrFn: string | (() => T), fn?: () => T): T;
  [MARK]?: true;
}

const MARK = Symbol.for('absnas.frugalGradients');

/**
 * The tape with every node after the nodes that produce its inputs. tfjs
 * records the copy of a tensor that a kernel saves for the backward pass
 * (the clone node) before the kernel's own node; when the kernel saves an
 * output (Exp, Relu, Sigmoid), the clone comes before its input's producer.
 * A first-order gradient never reaches those clones, but a gradient of a
 * gradient does (the derivative of exp's gradient dy * exp(x) through the
 * saved exp(x)): in tape order, tfjs's forward and backward sweeps miss that
 * path. Each such node moves to just after its producer; the others keep
 * their order.
 */
function inProducerOrder(tape: TapeNode[]): TapeNode[] {
  const producer = new Map<number, number>();
  for (const node of tape) for (const o of node.outputs) producer.set(o.id, node.id);
  const emitted = new Set<number>();
  const waiting = new Map<number, TapeNode[]>();
  const out: TapeNode[] = [];
  const place = (node: TapeNode): void => {
    for (const name in node.inputs) {
      const p = producer.get(node.inputs[name].id);
      if (p !== undefined && p !== node.id && !emitted.has(p)) {
        waiting.set(p, [...(waiting.get(p) ?? []), node]);
        return;
      }
    }
    out.push(node);
    emitted.add(node.id);
    const next = waiting.get(node.id);
    waiting.delete(node.id);
    for (const n of next ?? []) place(n);
  };
  for (const node of tape) place(node);
  // a node waiting on a producer that never came (not possible in a tape): in its order
  const stranded = new Set([...waiting.values()].flat().map((n) => n.id));
  return stranded.size === 0 ? out : [...out, ...tape.filter((n) => stranded.has(n.id))];
}

/**
 * The nodes of the tape that lie on a path from xs to y, each with only the
 * inputs that depend on xs (tfjs's getFilteredNodesXToY), on the tape in
 * producer order.
 */
function nodesFromXsToY(recorded: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const tape = inProducerOrder(recorded);
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    for (const name in node.inputs) {
      if (fromX.has(node.inputs[name].id)) {
        for (const o of node.outputs) fromX.add(o.id);
        nodesFromX.add(node.id);
        break;
      }
    }
  }
  const toY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((o) => toY.has(o.id))) {
      for (const name in node.inputs) {
        toY.add(node.inputs[name].id);
        nodesToY.add(node.id);
      }
    }
  }
  const out: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: tf.NamedTensorMap = {};
    for (const name in node.inputs) if (fromX.has(node.inputs[name].id)) inputs[name] = node.inputs[name];
    out.push({ ...node, inputs, outputs: node.outputs });
  }
  return out;
}

/** Gradients by tensor id; a tensor object may stand for several ids (counted). */
class GradientMap {
  private readonly byId = new Map<number, tf.Tensor>();
  private readonly uses = new Map<tf.Tensor, number>();

  get(id: number): tf.Tensor | undefined {
    return this.byId.get(id);
  }

  set(id: number, t: tf.Tensor): void {
    this.byId.set(id, t);
    this.uses.set(t, (this.uses.get(t) ?? 0) + 1);
  }

  holds(t: tf.Tensor): boolean {
    return this.uses.has(t);
  }

  /** Removes the entry; returns its tensor when no other entry refers to it. */
  take(id: number): tf.Tensor | undefined {
    const t = this.byId.get(id);
    if (t == null) return undefined;
    this.byId.delete(id);
    const n = (this.uses.get(t) ?? 1) - 1;
    if (n > 0) {
      this.uses.set(t, n);
      return undefined;
    }
    this.uses.delete(t);
    return t;
  }
}

function disposeSaved(node: TapeNode): void {
  for (const t of node.saved ?? []) t.dispose();
  if (node.saved) node.saved.length = 0;
}

function backpropagate(grads: GradientMap, tape: TapeNode[], engine: EngineInternals, keep: Set<tf.Tensor>, keepIds: Set<number>): void {
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    const dys = node.outputs.map((o) => grads.get(o.id) ?? null);
    if (node.gradient == null) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const inputGradients = node.gradient(dys);
    for (const name in node.inputs) {
      if (!(name in inputGradients)) {
        throw new Error(`Cannot backprop through input ${name}. Available gradients found: ${Object.keys(inputGradients)}.`);
      }
      const dx = engine.tidy(() => inputGradients[name]());
      if (dx.dtype !== 'float32') {
        throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`);
      }
      const x = node.inputs[name];
      if (!tf.util.arraysEqual(dx.shape, x.shape)) {
        throw new Error(
          `Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`,
        );
      }
      const current = grads.get(x.id);
      if (current == null) {
        grads.set(x.id, dx);
        continue;
      }
      const sum = tf.add(current, dx);
      const old = grads.take(x.id);
      if (old != null && !keep.has(old)) old.dispose();
      grads.set(x.id, sum);
      // the summand, unless it is some entry's gradient too (a gradient function may return dy itself)
      if (!grads.holds(dx) && !dys.includes(dx) && !keep.has(dx)) dx.dispose();
    }
    disposeSaved(node);
    // the node's outputs have passed their gradients on
    for (const o of node.outputs) {
      if (keepIds.has(o.id)) continue;
      const g = grads.take(o.id);
      if (g != null && !keep.has(g)) g.dispose();
    }
  }
}

let enabled = true;

/** Turns the early release on (the default once installed) or off (tfjs's own computation), for tests and comparisons. */
export function setFrugalGradients(on: boolean): void {
  enabled = on;
}

/** Replaces the engine's gradient computation with the one described above. Idempotent. */
export function installFrugalGradients(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  if (engine[MARK]) return;
  const original = engine.gradients.bind(engine);
  engine.gradients = (f, xs, dy, allowNoGradients = false) => {
    // inside the function of an outer gradient: the outer pass needs every saved tensor
    if (!enabled || engine.state.gradientDepth > 0) return original(f, xs, dy, allowNoGradients);
    if (xs.length === 0) throw new Error('gradients() received an empty list of xs.');
    if (dy != null && dy.dtype !== 'float32') throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
    const y = engine.scopedRun(
      () => engine.startTape(),
      () => engine.endTape(),
      () => engine.tidy('forward', f),
    );
    if (!(y instanceof tf.Tensor)) throw new Error('The result y returned by f() must be a tensor.');
    const tape = engine.state.activeTape ?? [];
    const filtered = nodesFromXsToY(tape, xs, y);
    if (!allowNoGradients && filtered.length === 0 && xs.length > 0) {
      throw new Error('Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all operations that lead from x to y.');
    }
    // what nodes off the path saved is never used
    const onPath = new Set(filtered.map((n) => n.id));
    for (const node of tape) if (!onPath.has(node.id)) disposeSaved(node);
    return engine.tidy('backward', () => {
      const grads = new GradientMap();
      const seed = dy ?? tf.ones(y.shape);
      grads.set(y.id, seed);
      // the caller's dy, and the gradients to return, stay
      const keep = new Set<tf.Tensor>(dy != null ? [dy] : []);
      const keepIds = new Set(xs.map((x) => x.id));
      backpropagate(grads, filtered, engine, keep, keepIds);
      const result = xs.map((x) => grads.get(x.id) as tf.Tensor);
      for (const node of tape) disposeSaved(node);
      engine.state.activeTape = null;
      return { value: y, grads: result } as unknown as tf.TensorContainer;
    }) as unknown as { value: tf.Tensor; grads: tf.Tensor[] };
  };
  engine[MARK] = true;
}
