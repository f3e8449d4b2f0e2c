/**
 * `absnas train`: one architecture trained from scratch (a standalone
 * network of the space, or its supernet restricted to the architecture),
 * opened, checkpointed and resumed as every run is.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendInfo } from '../backend';
import type { OriginFn } from '../config/load';
import { validatePluginOptions } from '../config/validate';
import { loadData } from '../data/load';
import { HookBus } from '../hooks/hooks';
import { runContainer } from '../plugin/container';
import type { Architecture, SearchSpace } from '../space/search-space';
import { SEARCH_SPACE } from '../tokens';
import { createScratchNetwork, ScratchConfig, ScratchEpochStats, ScratchTrainer, validateScratchConfig } from '../train/from-scratch';
import type { Progress } from '../util/progress';
import { Rng } from '../util/rng';
import { loadPluginOf } from './assemble';
import { withOpenRun } from './open-run';
import { renderTrainReport } from './report';
import type { RunDirectory } from './run-dir';
import type { RunOptions } from './run';

/** What the result.json of `absnas train` holds. */
export interface ScratchResult {
  name: string;
  seed: number;
  space: string;
  architecture: string;
  network: Record<string, unknown>;
  /** Trainable parameters of the network (DARTS: without the auxiliary head). */
  params: number;
  cost: { params: number; flops: number };
  metrics: Record<string, number>;
}

/** A training run's components: its effective config (config.json), hooks, the space and the architecture. */
export interface TrainingAssembly {
  /** The config as validated, with the space's options completed and the architecture in the space's own notation. */
  config: ScratchConfig & { architecture: string };
  hooks: HookBus;
  space: SearchSpace;
  architecture: Architecture;
}

export interface TrainingOutcome {
  result: ScratchResult;
  history: ScratchEpochStats[];
  backend: BackendInfo;
  seconds: number;
}

/**
 * Validate a raw training config (the run keys of core, `network` and
 * `train`), load and register the space plugin it names, and parse
 * `architecture` in the space's notation.
 */
export function assembleTraining(raw: Record<string, unknown>, origin: OriginFn, architecture: string): TrainingAssembly {
  const config = validateScratchConfig(raw, origin);
  const plugin = loadPluginOf({ pointer: '/space', kind: 'space', ref: config.space }, origin);
  const spaceOptions = validatePluginOptions(config.space.options, plugin.name, plugin.schema, origin('/space/options'));
  const hooks = new HookBus();
  const space = runContainer(hooks, (c) => plugin.register(c, spaceOptions)).resolve(SEARCH_SPACE);
  const arch = space.parse(architecture);
  const effective = { ...config, space: { plugin: config.space.plugin, options: spaceOptions }, architecture: space.format(arch) };
  return { config: effective, hooks, space, architecture: arch };
}

/**
 * Train the architecture to the configured epochs (continuing a resumed
 * run), judge it on the test (and validation) split, and write result.json,
 * train-history.json and report.md.
 */
export async function executeTraining(assembly: TrainingAssembly, runDir: RunDirectory, progress: Progress, options: RunOptions = {}): Promise<TrainingOutcome> {
  const { config, hooks, space, architecture } = assembly;
  const open = {
    kind: 'train' as const,
    config,
    resume: options.resume,
    progress,
    interruption: options.interruption,
    startEvent: { architecture: config.architecture },
  };
  return withOpenRun(runDir, open, async (run) => {
    const services = run.services(hooks);
    const rng = new Rng(config.seed);
    const data = options.data ?? loadData(config.data, config.seed);
    progress.log(`data: ${data.name} train ${data.train.count}, val ${data.val.count}, test ${data.test.count}`);
    const network = createScratchNetwork(space, architecture, data.input, rng.fork('network'), config.network, (m) => progress.log(m));
    hooks.tap('onEpochEnd', 'absnas train', (e) => void runDir.emit({ event: 'epoch', ...e }));
    const trainer = new ScratchTrainer(network, { data, train: config.train, rng: rng.fork('train') }, services);
    try {
      progress.log(`training ${config.architecture} (${network.paramCount()} parameters) for ${config.train.epochs} epoch(s)`);
      await trainer.train();
      const metrics: Record<string, number> = { testAccuracy: await trainer.accuracy(data.test) };
      if (data.val.count > 0) metrics.valAccuracy = await trainer.accuracy(data.val);
      const last = trainer.history[trainer.history.length - 1];
      if (last) Object.assign(metrics, { trainLoss: last.loss, trainAccuracy: last.trainAccuracy });
      metrics.epochs = trainer.epochsDone;
      const result: ScratchResult = {
        name: config.name,
        seed: config.seed,
        space: space.name,
        architecture: config.architecture,
        network: config.network,
        params: network.paramCount(),
        cost: space.cost(architecture, data.input),
        metrics,
      };
      runDir.writeJson('result.json', result);
      runDir.writeJson('train-history.json', trainer.history);
      const seconds = run.elapsed();
      runDir.writeText('report.md', renderTrainReport(result, trainer.history, run.backend.name, seconds));
      runDir.emit({ event: 'trainEnd', metrics, seconds, tensors: tf.memory().numTensors });
      return { result, history: [...trainer.history], backend: run.backend, seconds };
    } finally {
      trainer.dispose();
      network.dispose();
    }
  });
}
