import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng';
import { ForwardMode } from '../nn/layers';
import { ParamStore } from '../nn/params';
import type { CandidateSet, Operator } from './candidates';

/** A place where the architecture chooses one operator: a chain layer or a cell edge. */
export interface ChoicePoint {
  /** Stable identifier, e.g. `1<-0` for an NB201 edge or `layer3` for a chain layer. */
  id: string;
  candidates: readonly string[];
}

/** A child model: the chosen operator name per choice point, in choice-point order. */
export type Architecture = readonly string[];

/**
 * One piece of a child's weight vector V(child, W) for the angle metric.
 * - `param`: the named supernet parameter, flattened;
 * - `constant`: a pseudo-weight of `size` entries all equal to `value`
 *   (pooling's 1/k^2 kernel), equal in W0 and Wt.
 * A segment may appear several times (an edge on several paths).
 */
export type WeightSegment = { param: string } | { constant: number; size: number };

export interface WeightLayout {
  segments: WeightSegment[];
  /** True when every path through the searchable part is cut by `none`. */
  allPathsCut: boolean;
}

export interface ChildCost {
  params: number;
  flops: number;
}

export interface InputSpec {
  height: number;
  width: number;
  channels: number;
  numClasses: number;
}

/**
 * A weighted mixture of candidates at every choice point: the output of
 * choice point i is sum_k weights[i][k] * op(ops[i][k])(input). DARTS mixes
 * every candidate; ProxylessNAS two sampled ones; a single op with a
 * straight-through weight of 1 (GDAS-style) is one path that still passes
 * gradients to the architecture weights.
 */
export interface Mixture {
  ops: readonly (readonly string[])[];
  weights: readonly tf.Tensor1D[];
}

/**
 * The weights of every candidate operator, and forward passes along one child.
 * Built by a search space; trained by the core trainer.
 */
export interface Supernet {
  readonly store: ParamStore;
  /** Logits [batch, classes] of the child `arch` on NHWC input. */
  forward(x: tf.Tensor4D, arch: Architecture, mode: ForwardMode): tf.Tensor2D;
  /** Names of the trainable parameters that child `arch` uses. */
  paramsOf(arch: Architecture): string[];
  /** Forward through a mixture of candidates (spaces that support differentiable searchers). */
  forwardMixture?(x: tf.Tensor4D, mixture: Mixture, mode: ForwardMode): tf.Tensor2D;
  /** Names of the trainable parameters that a mixture over `ops` uses. */
  paramsOfMixture?(ops: readonly (readonly string[])[]): string[];
  /** Reset the running statistics of every batch norm (before recalibration). */
  resetBatchNormStats(): void;
  dispose(): void;
}

export interface SearchSpace {
  readonly name: string;
  readonly kind: 'cell' | 'chain';
  readonly choicePoints: readonly ChoicePoint[];

  /** Parse the space's text notation; throws ArchitectureError naming what is wrong. */
  parse(text: string): Architecture;
  format(arch: Architecture): string;

  /**
   * A child for operator scoring and single-path training, uniform over the
   * remaining candidates unless the space says otherwise (depth-uniform
   * identity placement, FLOPs caps, ...), with `fixed` held if given.
   */
  sample(candidates: CandidateSet, rng: Rng, fixed?: Operator): Architecture;

  createSupernet(input: InputSpec, rng: Rng): Supernet;
  cost(arch: Architecture, input: InputSpec): ChildCost;
  weightLayout(arch: Architecture): WeightLayout;
}
