import * as tf from '@tensorflow/tfjs';

/**
 * Forward probes: how a metric sees inside a network it runs. Core's layers
 * and activations report to the probe of the forward pass they run in, so a
 * space built from them (Conv2d, Linear, BatchNorm, relu, relu6) needs nothing
 * else for metrics that read activations (NASWOT's ReLU codes), intercept
 * layer outputs (Fisher) or run the network without batch norm (synflow).
 * Outside `probeForward` the probe code costs one comparison per call.
 */

export type ActivationKind = 'relu' | 'relu6';

/** An activation call: its kind, and its position among the activations of the probed pass (0, 1, ...). */
export interface ActivationSite {
  kind: ActivationKind;
  index: number;
}

/** A convolution or linear layer: its parameter name prefix, its kernel, and its position among the probed pass's layers. */
export interface LayerSite {
  name: string;
  kind: 'conv' | 'linear';
  weight: tf.Variable;
  index: number;
}

export interface ForwardProbe {
  /**
   * The input of every core `relu` / `relu6` of the pass. Return a tensor to
   * use it as the activation's output (the same shape); return nothing to
   * keep the activation.
   */
  activation?(input: tf.Tensor, site: ActivationSite): tf.Tensor | void;
  /**
   * The output of every core Conv2d and Linear (bias included), NHWC or
   * [batch, features]. Return a tensor to use it in place of the output.
   */
  layer?(output: tf.Tensor, site: LayerSite): tf.Tensor | void;
  /** 'bypass': every core BatchNorm returns its input unchanged and updates no statistics (a network without batch norm). */
  batchNorm?: 'bypass';
}

interface ActiveProbe {
  probe: ForwardProbe;
  activations: number;
  layers: number;
}

let active: ActiveProbe | undefined;

/**
 * Run `fn` (synchronous: a forward pass, or a function that runs one, such
 * as the loss inside `tf.variableGrads`) with `probe` seeing the network's
 * activations, layers and batch norms. Probes nest: the innermost one sees.
 */
export function probeForward<R>(probe: ForwardProbe, fn: () => R): R {
  const outer = active;
  active = { probe, activations: 0, layers: 0 };
  try {
    const result = fn();
    if (result instanceof Promise) throw new Error('probeForward: the probed function must be synchronous');
    return result;
  } finally {
    active = outer;
  }
}

function activation<T extends tf.Tensor>(x: T, kind: ActivationKind, plain: (x: T) => T): T {
  const p = active;
  if (p?.probe.activation) {
    const replaced = p.probe.activation(x, { kind, index: p.activations++ });
    if (replaced) return replaced as T;
  }
  return plain(x);
}

/** max(x, 0): tf.relu, visible to forward probes. Spaces use it for every ReLU of their networks. */
export function relu<T extends tf.Tensor>(x: T): T {
  return activation(x, 'relu', (t) => tf.relu(t));
}

/** min(max(x, 0), 6): tf.relu6, visible to forward probes. */
export function relu6<T extends tf.Tensor>(x: T): T {
  return activation(x, 'relu6', (t) => tf.relu6(t));
}

/** A layer's output as the active probe wants it (core layers call this). */
export function probeLayerOutput<T extends tf.Tensor>(output: T, name: string, kind: 'conv' | 'linear', weight: tf.Variable): T {
  const p = active;
  if (!p?.probe.layer) return output;
  const replaced = p.probe.layer(output, { name, kind, weight, index: p.layers++ });
  return (replaced ?? output) as T;
}

/** Whether batch norms are bypassed in the current pass (core's BatchNorm asks). */
export function batchNormBypassed(): boolean {
  return active?.probe.batchNorm === 'bypass';
}
