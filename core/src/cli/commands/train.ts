import 'reflect-metadata';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { container as rootContainer } from 'tsyringe';
import { selectBackend } from '../../backend';
import { Checkpointer, configHash } from '../../checkpoint/checkpointer';
import { Interruption, NumericalError, RunInterrupted } from '../../checkpoint/interrupt';
import { displayPath, isPlainObject, loadPreset, type OriginFn } from '../../config/load';
import { applyOverrides } from '../../config/overrides';
import { validatePluginOptions } from '../../config/validate';
import { loadData } from '../../data/load';
import { HookBus } from '../../hooks/hooks';
import { loadPlugin } from '../../plugin/loader';
import { RunLock } from '../../run/lock';
import { RunDirectory } from '../../run/run-dir';
import { HOOKS, SEARCH_SPACE } from '../../tokens';
import { ScratchConfig, ScratchTrainer, createScratchNetwork, validateScratchConfig } from '../../train/from-scratch';
import { UserError } from '../../util/errors';
import { ConsoleProgress, SilentProgress } from '../../util/progress';
import { Rng } from '../../util/rng';
import { parseArgs } from '../args';
import type { Command } from '../command';

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

export const trainCommand: Command = {
  name: 'train',
  summary: 'train one architecture from scratch (standalone network) and report its test accuracy',
  usage: `absnas train <architecture> --space <plugin> [--preset <file.json>] [--set key.path=value ...] [--out <dir>] [--quiet]
  absnas train --resume <run-dir> [--quiet]
      <architecture> is in the space's notation (a DARTS genotype, an NB201 string).
      The preset gives data, seed, backend and space (a run preset works) plus
      'train' (epochs, batchSize, learningRate, cutout, auxiliaryWeight,
      dropPath, ...; DARTS recipe by default) and 'network' (the space's
      standalone network: DARTS channels, layers, auxiliary). Writes a run
      directory with config.json, events.jsonl, checkpoints/, result.json
      and report.md; Ctrl-C saves a checkpoint, --resume continues.`,
  options: { space: 'string', preset: 'string', set: 'strings', out: 'string', quiet: 'boolean', resume: 'string' },
  async run(argv) {
    const args = parseArgs(argv, this.options);
    const spaceFlag = args.flags.get('--space') as string | undefined;
    const presetFlag = args.flags.get('--preset') as string | undefined;
    const resumeDir = args.flags.get('--resume');
    const resuming = typeof resumeDir === 'string';
    if (resuming && (args.positional.length > 0 || args.sets.length > 0 || args.flags.has('--out') || spaceFlag || presetFlag)) {
      throw new UserError('--resume continues a training run with its own config and directory: nothing else can be given with it');
    }
    if (!resuming && args.positional.length !== 1) throw new UserError(`usage: ${this.usage.split('\n')[0]}`);

    let raw: Record<string, unknown> = {};
    let origin: OriginFn = () => '(command line)';
    const presetFile = resuming ? path.join(resumeDir, 'config.json') : presetFlag;
    if (resuming && !fs.existsSync(presetFile as string)) throw new UserError(`--resume ${resumeDir}: no training run there (expected ${presetFile})`);
    if (presetFile) {
      const loaded = loadPreset(presetFile);
      raw = loaded.raw;
      origin = loaded.origin;
    }
    if (spaceFlag) {
      const plugin = spaceFlag.startsWith('.') ? path.resolve(spaceFlag) : spaceFlag;
      const old = isPlainObject(raw.space) ? raw.space : undefined;
      raw.space = { plugin, options: old && old.plugin === plugin && isPlainObject(old.options) ? old.options : {} };
      const before = origin;
      origin = (p) => (p === '/space' || p.startsWith('/space/') ? '--space' : before(p));
    }
    if (raw.space === undefined) throw new UserError('absnas train: name the search space with --space <plugin> (or in the preset)');
    const overridden = applyOverrides(raw, args.sets, origin);
    const text = resuming ? overridden.raw.architecture : args.positional[0];
    if (typeof text !== 'string') throw new UserError(`--resume ${resumeDir}: config.json holds no architecture`);
    const { architecture: _a, ...configRaw } = overridden.raw;
    const config = validateScratchConfig(configRaw, overridden.origin);

    const where = `${displayPath(overridden.origin('/space/plugin'))}: /space/plugin`;
    const plugin = loadPlugin(config.space.plugin, 'space', where);
    const spaceOptions = validatePluginOptions(config.space.options, plugin.name, plugin.schema, overridden.origin('/space/options'));
    const container = rootContainer.createChildContainer();
    const hooks = new HookBus();
    container.registerInstance(HOOKS, hooks);
    plugin.register(container, spaceOptions);
    const space = container.resolve(SEARCH_SPACE);
    const arch = space.parse(text);
    const archText = space.format(arch);

    const quiet = args.flags.has('--quiet') || !config.output.progress;
    const progress = quiet ? new SilentProgress() : new ConsoleProgress();
    const out = resuming ? resumeDir : args.flags.get('--out');
    const runDir = typeof out === 'string' ? new RunDirectory(path.resolve(out)) : RunDirectory.fresh(path.resolve('runs'), `${config.name}-train`);
    const effective: ScratchConfig & { architecture: string } = {
      ...config,
      space: { plugin: config.space.plugin, options: spaceOptions },
      architecture: archText,
    };
    const lock = RunLock.acquire(runDir.dir, (m) => progress.log(m));
    const interruption = new Interruption();
    const onSignal = (signal: NodeJS.Signals): void => {
      if (interruption.requested) process.exit(130);
      interruption.request(signal);
      process.stderr.write(`\nabsnas: ${signal}: saving a checkpoint at the next safe point (again to stop at once)\n`);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const checkpoints = new Checkpointer(runDir.file('checkpoints'), configHash(effective));
      if (resuming) {
        const loaded = checkpoints.latest((m) => progress.log(`warning: ${m}`));
        if (loaded) {
          progress.log(`resuming from ${loaded.file} (${loaded.reason})`);
          checkpoints.resumeFrom(loaded);
        } else {
          progress.log('no checkpoint to resume from: starting from the beginning');
        }
      } else if (runDir.holdsRun()) {
        throw new UserError(`run directory ${runDir.dir} already holds a run: resume it with --resume, or choose another --out`);
      }
      progress.log(`run directory: ${runDir.dir}`);
      const began = Date.now();
      const backend = await selectBackend(config.backend, (m) => progress.log(m));
      runDir.writeJson('config.json', effective);
      runDir.emit({ event: resuming ? 'trainResume' : 'trainStart', name: config.name, seed: config.seed, backend: backend.name, architecture: archText });

      const rng = new Rng(config.seed);
      const data = loadData(config.data, config.seed);
      progress.log(`data: ${data.name} train ${data.train.count}, val ${data.val.count}, test ${data.test.count}`);
      const network = createScratchNetwork(space, arch, data.input, rng.fork('network'), config.network, (m) => progress.log(m));
      hooks.tap('onEpochEnd', 'absnas train', (e) => void runDir.emit({ event: 'epoch', ...e }));
      const trainer = new ScratchTrainer(network, { data, train: config.train, rng: rng.fork('train') }, { hooks, progress, emit: (e) => runDir.emit(e), checkpoints, interruption });
      let result: ScratchResult;
      try {
        progress.log(`training ${archText} (${network.paramCount()} parameters) for ${config.train.epochs} epoch(s)`);
        await trainer.train();
        const metrics: Record<string, number> = { testAccuracy: await trainer.accuracy(data.test) };
        if (data.val.count > 0) metrics.valAccuracy = await trainer.accuracy(data.val);
        const last = trainer.history[trainer.history.length - 1];
        if (last) Object.assign(metrics, { trainLoss: last.loss, trainAccuracy: last.trainAccuracy });
        metrics.epochs = trainer.epochsDone;
        result = {
          name: config.name,
          seed: config.seed,
          space: space.name,
          architecture: archText,
          network: config.network,
          params: network.paramCount(),
          cost: space.cost(arch, data.input),
          metrics,
        };
        runDir.writeJson('result.json', result);
        runDir.writeJson('train-history.json', trainer.history);
        const seconds = (Date.now() - began) / 1000;
        runDir.writeText('report.md', renderTrainReport(result, trainer.history, backend.name, seconds));
        runDir.emit({ event: 'trainEnd', metrics, seconds, tensors: tf.memory().numTensors });
        const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
        process.stdout.write(
          [
            `architecture: ${archText}`,
            `params: ${result.params}`,
            ...Object.entries(metrics).map(([k, v]) => `${k}: ${/accuracy/i.test(k) ? pct(v) : v}`),
            `time: ${seconds.toFixed(1)} s`,
            `result: ${runDir.file('result.json')}`,
          ].join('\n') + '\n',
        );
      } finally {
        trainer.dispose();
        network.dispose();
      }
    } catch (e) {
      if (e instanceof RunInterrupted || e instanceof NumericalError) {
        throw new (e.constructor as typeof RunInterrupted)(`${e.message}\nresume with: absnas train --resume ${runDir.dir}`);
      }
      throw e;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      lock.release();
    }
  },
};

function renderTrainReport(r: ScratchResult, history: { epoch: number; loss: number; trainAccuracy: number; learningRate: number; seconds: number }[], backend: string, seconds: number): string {
  const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
  const lines = [
    `# absnas train: ${r.name}`,
    '',
    `- space \`${r.space}\`, seed ${r.seed}, backend \`${backend}\`, wall time ${seconds.toFixed(1)} s`,
    `- network options: \`${JSON.stringify(r.network)}\``,
    '',
    '```',
    r.architecture,
    '```',
    '',
    '| measure | value |',
    '| --- | --- |',
    ...Object.entries(r.metrics).map(([k, v]) => `| ${k} | ${/accuracy/i.test(k) ? pct(v) : String(v)} |`),
    `| params (trained network) | ${r.params} |`,
    `| params / FLOPs (space's cost) | ${(r.cost.params / 1e6).toFixed(6)} M / ${(r.cost.flops / 1e6).toFixed(3)} M |`,
    '',
    '| epoch | loss | train accuracy | lr | seconds |',
    '| --- | --- | --- | --- | --- |',
    ...history.map((h) => `| ${h.epoch} | ${h.loss.toFixed(4)} | ${pct(h.trainAccuracy)} | ${h.learningRate.toPrecision(3)} | ${h.seconds.toFixed(1)} |`),
    '',
  ];
  return lines.join('\n');
}
