/**
 * What `absnas run`, `absnas train` and `absnas compare` do between parsing
 * their arguments and printing the outcome: read the preset (or the config
 * of the run being resumed) with its --set overrides, assemble, choose the
 * run directory and the progress output, turn SIGINT and SIGTERM into a
 * stop at the next safe point, and name the command that continues an
 * interrupted run.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Interruption, NumericalError, RunInterrupted } from '../checkpoint/interrupt';
import { isPlainObject, loadPreset, type OriginFn } from '../config/load';
import { applyOverrides } from '../config/overrides';
import { UserError } from '../util/errors';
import { ConsoleProgress, type Progress, SilentProgress } from '../util/progress';
import { assemble } from './assemble';
import { batchUses, preflightData, preflightMemory } from './preflight';
import { executeRun, type RunOutcome } from './run';
import { RunDirectory } from './run-dir';
import { assembleTraining, executeTraining, type TrainingOutcome } from './training';

/** A run asked for on the command line. */
export interface RunRequest {
  /** The preset file (not with `resume`). */
  preset?: string;
  /** `key.path=value` overrides of the preset (not with `resume`). */
  sets?: readonly string[];
  /** The run directory (default: a fresh one under runs/; not with `resume`). */
  out?: string;
  /** The directory of a run to continue, with its own config. */
  resume?: string;
  /** No progress output (also when the config turns it off). */
  quiet?: boolean;
}

/** A training run asked for on the command line: a run request with the architecture and the space. */
export interface TrainingRequest extends RunRequest {
  /** The architecture in the space's notation (not with `resume`: the run's own). */
  architecture?: string;
  /** The space plugin, in place of the preset's (a path is relative to the working directory). */
  space?: string;
}

/** `absnas run`: a run of a preset, or the continuation of one. */
export async function launchRun(request: RunRequest): Promise<{ outcome: RunOutcome; runDir: RunDirectory }> {
  if (request.resume && ((request.sets?.length ?? 0) > 0 || request.out !== undefined)) {
    throw new UserError('--resume continues a run with its own config and directory: --set and --out cannot be combined with it');
  }
  const preset = request.resume ? savedConfig(request.resume, 'run') : request.preset;
  const { raw, origin } = readPreset(preset, request.sets);
  const assembly = assemble(raw, origin);
  const { config, searcher, space } = assembly;
  // nothing is created before the data and the sizes are known to serve the run
  const data = preflightData(config.data, config.seed, batchUses(config, Boolean(searcher.requirements.mixtures)), origin);
  preflightMemory(space, data.input, config.backend, origin);
  const progress = progressFor(request.quiet, config.output.progress);
  const runDir = runDirectory(request.resume ?? request.out, config.name);
  progress.log(`run directory: ${runDir.dir}`);
  const outcome = await interruptible(`resume with: absnas run --resume ${runDir.dir}`, (interruption) =>
    executeRun(assembly, runDir, progress, { resume: request.resume !== undefined, interruption, data }),
  );
  return { outcome, runDir };
}

/** `absnas train`: one architecture trained from scratch, or the continuation of such a run. */
export async function launchTraining(request: TrainingRequest): Promise<{ outcome: TrainingOutcome; runDir: RunDirectory }> {
  const { resume } = request;
  if (resume && (request.architecture || (request.sets?.length ?? 0) > 0 || request.out !== undefined || request.space || request.preset)) {
    throw new UserError('--resume continues a training run with its own config and directory: nothing else can be given with it');
  }
  const presetFile = resume ? savedConfig(resume, 'training run') : request.preset;
  let raw: Record<string, unknown> = {};
  let origin: OriginFn = () => '(command line)';
  if (presetFile) ({ raw, origin } = loadPreset(presetFile));
  if (request.space) {
    const plugin = request.space.startsWith('.') ? path.resolve(request.space) : request.space;
    const old = isPlainObject(raw.space) ? raw.space : undefined;
    raw.space = { plugin, options: old && old.plugin === plugin && isPlainObject(old.options) ? old.options : {} };
    const before = origin;
    origin = (p) => (p === '/space' || p.startsWith('/space/') ? '--space' : before(p));
  }
  if (raw.space === undefined) throw new UserError('absnas train: name the search space with --space <plugin> (or in the preset)');
  const overridden = applyOverrides(raw, request.sets ?? [], origin);
  // a resumed run's config.json holds its architecture
  const { architecture: saved, ...config } = overridden.raw;
  const text = resume ? saved : request.architecture;
  if (typeof text !== 'string') throw new UserError(`--resume ${resume}: config.json holds no architecture`);
  const assembly = assembleTraining(config, overridden.origin, text);
  const checked = assembly.config;
  const batch = { pointer: '/train/batchSize', batchSize: checked.train.batchSize, split: 'train' as const };
  const data = preflightData(checked.data, checked.seed, [batch], overridden.origin);
  const progress = progressFor(request.quiet, checked.output.progress);
  const runDir = runDirectory(resume ?? request.out, `${checked.name}-train`);
  progress.log(`run directory: ${runDir.dir}`);
  const outcome = await interruptible(`resume with: absnas train --resume ${runDir.dir}`, (interruption) =>
    executeTraining(assembly, runDir, progress, { resume: resume !== undefined, interruption, data }),
  );
  return { outcome, runDir };
}

/** A preset file with `key.path=value` overrides applied, and where each value came from. */
export function readPreset(file: string | undefined, sets: readonly string[] = []): { raw: Record<string, unknown>; origin: OriginFn } {
  if (!file) throw new UserError('no preset given');
  const loaded = loadPreset(file);
  return applyOverrides(loaded.raw, [...sets], loaded.origin);
}

/** Progress on the console, unless asked to be quiet. */
export function progressFor(quiet: boolean | undefined, configured = true): Progress {
  return quiet || !configured ? new SilentProgress() : new ConsoleProgress();
}

/** What to change after a non-finite loss (a resume with the same config would meet it again). */
export const NUMERICAL_HINT =
  'a resume with the same config repeats this step: start a new run (--out) with a lower learning rate ' +
  '(shrink.train.learningRate, search.options.train.learningRate or train.learningRate) or gradient clipping (…train.gradientClip)';

/**
 * Do `work` with SIGINT and SIGTERM requesting its interruption (long loops
 * then save a checkpoint and stop at their next safe point; a second signal
 * exits at once). An interrupted run's error gets `continueWith`, the
 * command that continues it, as its last line; a numerically failed run's
 * gets what to change instead.
 */
export async function interruptible<T>(continueWith: string, work: (interruption: Interruption) => Promise<T>): Promise<T> {
  const interruption = new Interruption();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interruption.requested) process.exit(130); // a second signal: stop now
    interruption.request(signal);
    process.stderr.write(`\nabsnas: ${signal}: saving a checkpoint at the next safe point (again to stop at once)\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(interruption);
  } catch (e) {
    if (e instanceof NumericalError) {
      // resuming would replay the same step from the same checkpoint into the same non-finite loss
      throw new NumericalError(`${e.message}\n${NUMERICAL_HINT}`);
    }
    if (e instanceof RunInterrupted) throw new RunInterrupted(`${e.message}\n${continueWith}`);
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The config.json of the run in `dir`, to resume it; a UserError when there is no such run. */
function savedConfig(dir: string, what: 'run' | 'training run'): string {
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file)) throw new UserError(`--resume ${dir}: no ${what} there (expected ${file})`);
  return file;
}

/** The given run directory, or a fresh one under runs/ named after the run (a name that is no plain folder name is refused). */
function runDirectory(dir: string | undefined, name: string): RunDirectory {
  return dir !== undefined ? new RunDirectory(path.resolve(dir)) : RunDirectory.fresh(path.resolve('runs'), name);
}
