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

export interface ArchitectureGraph {
  nodes: { id: string; x: number; y: number }[];
  edges: { from: string; to: string; op: string }[];
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
  /**
   * Dropout on the outputs of the named operators, in 'train' mode only
   * (PDARTS drops identity skip-connections): each element is kept with
   * probability 1 - rate and scaled by 1 / (1 - rate); masks are drawn from
   * `seed`. Spaces that do not support it ignore it.
   */
  dropout?: { ops: readonly string[]; rate: number; seed: number };
}

/** Options of one forward pass of a standalone network. */
export interface NetworkForwardOptions {
  /** Drop-path probability of cell branches in 'train' mode (0 or absent = off). */
  dropPath?: number;
  /** Draws the drop-path masks (needed when dropPath > 0). */
  rng?: Rng;
}

export interface NetworkOutput {
  logits: tf.Tensor2D;
  /** Logits of an auxiliary head ('train' mode, networks that have one). */
  auxLogits?: tf.Tensor2D;
}

/**
 * One architecture as a standalone network with its own weights, for
 * training from scratch (`absnas train`).
 */
export interface Network {
  readonly store: ParamStore;
  forward(x: tf.Tensor4D, mode: ForwardMode, options?: NetworkForwardOptions): NetworkOutput;
  /** Names of the parameters to train. */
  paramNames(): string[];
  /** Parameters counted as the network's size (DARTS leaves out the auxiliary head). */
  paramCount(): number;
  resetBatchNormStats(): void;
  dispose(): void;
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
  /**
   * Progressive depth, for a warm-up that grows the supernet cell by cell
   * (shrink.warmup; the ABS DARTS reference): the cells at full depth, and
   * running only `count` of them, placed as the space inserts them
   * (`cells`: all). Supernets without it cannot be warmed up so.
   */
  readonly depth?: { readonly cells: number; setActive(count: number): void };
  dispose(): void;
}

/** How a space's choice points are laid out: the edges of a repeated cell, or the layers of a chain. */
export type SpaceKind = 'cell' | 'chain';

export interface SearchSpace {
  readonly name: string;
  readonly kind: SpaceKind;
  readonly choicePoints: readonly ChoicePoint[];
  /**
   * True when its supernets run mixtures of candidates (implement
   * forwardMixture and paramsOfMixture). Differentiable searchers and the
   * magnitude metric require it; a run checks it when it is assembled.
   */
  readonly mixtures?: boolean;

  /** Parse the space's text notation; throws ArchitectureError naming what is wrong. */
  parse(text: string): Architecture;
  format(arch: Architecture): string;

  /**
   * A child for operator scoring and single-path training, uniform over the
   * remaining candidates unless the space says otherwise (depth-uniform
   * identity placement, FLOPs caps, ...), with `fixed` held if given.
   */
  sample(candidates: CandidateSet, rng: Rng, fixed?: Operator): Architecture;

  /**
   * The path of one single-path training step, when the space trains
   * otherwise than by `sample` (NB201's `per-cell` sampling: every cell draws
   * its own operators). It may be a path that only the space's supernet reads
   * (`forward`, `paramsOf`); children are still scored as `sample` draws them.
   * Absent: training uses `sample`.
   */
  sampleTrainingPath?(candidates: CandidateSet, rng: Rng): Architecture;

  createSupernet(input: InputSpec, rng: Rng): Supernet;
  /**
   * The child as a standalone tfjs Layers model with the supernet's current
   * weights and batch-norm statistics (for `absnas export`); a model that
   * plain @tensorflow/tfjs loads without absnas.
   */
  exportModel?(arch: Architecture, supernet: Supernet, input: InputSpec): tf.LayersModel;
  /** The child drawn as a graph (node positions in [0, 1]), for reports; spaces without a picture leave it out. */
  graph?(arch: Architecture): ArchitectureGraph;
  cost(arch: Architecture, input: InputSpec): ChildCost;
  weightLayout(arch: Architecture): WeightLayout;

  /**
   * The final architecture of a differentiable search, from its architecture
   * weights: `weights[i][k]` weighs `choicePoints[i].candidates[k]` (0 for a
   * dropped candidate, which must not be chosen). Cell spaces with a fixed
   * in-degree implement it (DARTS: the top-2 inputs of every node by their
   * strongest non-`none` weight); without it, core's `deriveArchitecture`
   * takes the strongest candidate of every choice point.
   */
  derive?(weights: readonly Float32Array[]): Architecture;

  /**
   * This space with some options changed (PDARTS deepens the network from
   * stage to stage). Throws ConfigError for an unknown or invalid option.
   */
  withOptions?(overrides: Record<string, unknown>): SearchSpace;

  /**
   * A standalone network of `arch` with fresh weights, configured by
   * `options` (the space's own: width, depth, auxiliary head...), for
   * training from scratch. Without it, `absnas train` trains the supernet
   * restricted to `arch`.
   */
  createNetwork?(arch: Architecture, input: InputSpec, rng: Rng, options: Record<string, unknown>): Network;
}

/** The path of a single-path training step: the space's own training draw, else `sample`. */
export function trainingPath(space: SearchSpace, candidates: CandidateSet, rng: Rng): Architecture {
  return space.sampleTrainingPath ? space.sampleTrainingPath(candidates, rng) : space.sample(candidates, rng);
}
