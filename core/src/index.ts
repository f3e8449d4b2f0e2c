/**
 * The public API of @absnas/core: everything a plugin may import.
 */
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs';
export { tf };

export * from './plugin/plugin';
export * from './tokens';
export * from './hooks/hooks';
export * from './util/rng';
export * from './util/errors';
export * from './util/progress';
export * from './nn/params';
export * from './nn/layers';
export * from './space/search-space';
export * from './space/candidates';
export * from './data/dataset';
export * from './metric/metric';
export * from './search/searcher';
export * from './config';
export * from './train/sgd';
export * from './train/schedule';
export * from './train/loss';
export * from './train/trainer';
export * from './eval/child-accuracy';
export * from './search/evolution';
export * from './shrink/policies';
export * from './shrink/shrinker';
export * from './plugin/loader';
export * from './data/batches';
export { loadData } from './data/load';
export { loadMnist, MNIST_INPUT } from './data/mnist';
export { loadSynthetic } from './data/synthetic';
export { assemble } from './run/assemble';
export type { Assembly } from './run/assemble';
export { executeRun } from './run/run';
export type { RunResult, RunOutcome } from './run/run';
export { RunDirectory } from './run/run-dir';
export * from './backend';
