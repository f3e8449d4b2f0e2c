/**
 * The public API of @absnas/core: everything a plugin may import, and the
 * only entry point of the package (see docs/api.md). Plugins import from
 * '@absnas/core' and nothing deeper.
 */
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs';

/** TensorFlow.js as absnas uses it: plugins share this one instance. */
export { tf };

// The plugin contract: what a plugin exports, how absnas loads, finds and registers it
export * from './plugin/plugin';
export * from './plugin/loader';
export * from './plugin/container';
export * from './plugin/discover';
export * from './tokens';

// Hooks: the lifecycle of a run, their dispatch modes and payloads
export * from './hooks/hooks';

// The components a plugin provides: search space, metric, searcher; what they require of each other
export * from './space/search-space';
export * from './space/requirements';
export * from './space/candidates';
export * from './metric/metric';
export * from './metric/proxy';
export * from './plugin/proxy-plugin';
export * from './search/searcher';

// Building supernets: parameters with seeded initialisation, layers (tf is re-exported above)
export * from './nn/params';
export * from './nn/layers';
export { probeForward, relu, relu6 } from './nn/probe';
export type { ActivationKind, ActivationSite, ForwardProbe, LayerSite } from './nn/probe';

// Data: splits, batches, the datasets
export * from './data/dataset';
export * from './data/batches';
export { loadData } from './data/load';
export { loadMnist, MNIST_INPUT } from './data/mnist';
export type { MnistOptions } from './data/mnist';
export { loadSynthetic } from './data/synthetic';
export type { SyntheticOptions } from './data/synthetic';
export { loadCifar10 } from './data/cifar10';
export type { Cifar10Options } from './data/cifar10';
export { loadImageFolder, listImageFolder, closeImageDecoder, IMAGENET_MEAN, IMAGENET_STD } from './data/image-folder';
export type { ImageFolderOptions, ImageFolderListing, ImageFolderMode } from './data/image-folder';

// The run's services that trainers, the shrinker, searchers and the evolution work with
export * from './services/run-services';

// Training and evaluating children: the one supernet trainer, SGD, schedules, losses, BN recalibration
export * from './train/trainer';
export * from './train/sgd';
export * from './train/schedule';
export * from './train/loss';
export * from './eval/child-accuracy';

// Search machinery shared by searchers (no plugin imports another)
export * from './search/evolution';
export * from './search/one-shot';
export * from './search/differentiable';
export * from './search/bilevel-trainer';
export * from './search/bilevel-search';
export * from './train/from-scratch';

// ABS: the shrinker and its drop policies
export * from './shrink/shrinker';
export * from './shrink/policies';

// Configuration: the schema, presets, overrides, validation
export * from './config';

// Checkpoints and interruptions: how long loops save their state and stop at safe points
export type { Checkpointable, CheckpointSink, LoadedCheckpoint } from './checkpoint/checkpointer';
export { Checkpointer, configHash } from './checkpoint/checkpointer';
export { CheckpointError } from './checkpoint/format';
export { Interruption, NumericalError, RunInterrupted } from './checkpoint/interrupt';

// Runs: the composition root, opening a run directory, one run, one training run, its directory
export { assemble } from './run/assemble';
export type { Assembly } from './run/assemble';
export { withOpenRun } from './run/open-run';
export { RunDirectoryLocked, RunLockLost } from './run/lock';
export type { OpenRun, OpenRunOptions } from './run/open-run';
export { executeRun } from './run/run';
export type { RunOptions, RunOutcome } from './run/run';
export { assembleTraining, executeTraining } from './run/training';
export type { ScratchResult, TrainingAssembly, TrainingOutcome } from './run/training';
export { RunDirectory } from './run/run-dir';
export { readShrunkSpace } from './run/shrunk-space';
export { cellTag, planComparison, runCell, runComparison, writeComparison } from './compare/compare';
export type { ComparisonPlan, ComparisonResult } from './compare/compare';
export { cellConfig, planCells } from './compare/cells';
export type { CompareCell } from './compare/cells';
export { interruptible, progressFor, readPreset } from './run/launch';
export type { QueueAdminRequest, QueueModule, QueueRankRequest, QueueRunRequest, WorkerOptions } from './cli/queue-module';
export { assembleRank, mergeRankResults, runRank, writeRanking } from './rank';
export type { RankAssembly, RankResult } from './rank';
export { exportRun } from './export/export-run';
export { writeRunReport, writeCompareReport } from './report/html';

// Compute backends: selection, gradient fill-ins, self-test
export * from './backend';

// Benchmarks and statistics
export * from './benchmarks';
export * from './stats/rank-correlation';

// Utilities: seeded random numbers, errors the user can fix, progress
export * from './util/rng';
export * from './util/errors';
export * from './util/progress';

// Hardware cost: per-operator latency tables
export * from './latency/latency-table';
