import * as tf from '@tensorflow/tfjs';
import { selectBackend, BackendInfo } from '../backend';
import { loadData } from '../data/load';
import { Shrinker, ShrinkResult } from '../shrink/shrinker';
import { CandidateSet } from '../space/candidates';
import { SupernetTrainer } from '../train/trainer';
import type { Progress } from '../util/progress';
import { Rng } from '../util/rng';
import { ConfigError, UserError } from '../util/errors';
import { Checkpointer, configHash } from '../checkpoint/checkpointer';
import { Interruption } from '../checkpoint/interrupt';
import type { Assembly } from './assemble';
import { RunLock } from './lock';
import { readShrunkSpace, writeShrunkSpace } from './shrunk-space';
import { renderReport } from './report';
import { writeRunReport } from '../report/html';
import type { RunDirectory } from './run-dir';
import type { RunServices } from '../services/run-services';

/** What result.json holds: a pure function of the config and seed (no times, no paths). */
export interface RunResult {
  name: string;
  seed: number;
  space: string;
  searcher: string;
  metric: string | null;
  architecture: string;
  metrics: Record<string, number>;
  cost: { params: number; flops: number };
  shrink: {
    enabled: boolean;
    sizeBefore: number;
    sizeAfter: number;
    rounds: number;
    candidates: Record<string, string[]>;
  };
}

export interface RunOptions {
  /** Continue from the newest valid checkpoint in the run directory. */
  resume?: boolean;
  /** Set by signal handlers; long loops save a checkpoint and stop at their next safe point. */
  interruption?: Interruption;
}

/** What the run itself keeps in checkpoints: which phase it is in and the shrink outcome. */
interface RunPhaseState {
  phase: 'shrink' | 'search';
  shrink?: { candidates: string[][]; rounds: ShrinkResult['rounds']; epochs: number };
}

export interface RunOutcome {
  result: RunResult;
  backend: BackendInfo;
  shrink?: ShrinkResult;
  seconds: { total: number; shrink: number; search: number };
}

/**
 * One run: backend, data, [ABS shrinking], search over the (shrunk) space,
 * and the run directory's artifacts. Every phase reports through hooks.
 */
export async function executeRun(assembly: Assembly, runDir: RunDirectory, progress: Progress, options: RunOptions = {}): Promise<RunOutcome> {
  const lock = RunLock.acquire(runDir.dir, (m) => progress.log(m));
  try {
    return await runLocked(assembly, runDir, progress, options);
  } finally {
    lock.release();
  }
}

async function runLocked(assembly: Assembly, runDir: RunDirectory, progress: Progress, options: RunOptions): Promise<RunOutcome> {
  const { config, hooks, space, metric, searcher } = assembly;
  const began = Date.now();
  if (config.shrunkSpace && config.shrink.enabled) {
    throw new ConfigError('/shrunkSpace: searching a given shrunk space needs shrink.enabled false (or drop shrunkSpace to shrink anew)');
  }
  const checkpoints = new Checkpointer(runDir.file('checkpoints'), configHash(config));
  if (options.resume) {
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
  const interruption = options.interruption ?? new Interruption();
  const services: RunServices = { hooks, progress, emit: (e) => runDir.emit(e), checkpoints, interruption };
  hooks.tap('onEpochEnd', 'absnas', (e) => void runDir.emit({ event: 'epoch', ...e }), 'post');
  const backend = await selectBackend(config.backend, (m) => progress.log(m));
  const tensorsAtStart = tf.memory().numTensors;
  runDir.writeJson('config.json', config);
  runDir.emit({ event: options.resume ? 'runResume' : 'runStart', name: config.name, seed: config.seed, backend: backend.name });
  await hooks.series('onRunStart', { runDir: runDir.dir, config: config as unknown as Record<string, unknown>, backend: backend.name, seed: config.seed });

  const rng = new Rng(config.seed);
  const data = loadData(config.data, config.seed);
  progress.log(`data: ${data.name} train ${data.train.count}, val ${data.val.count}, test ${data.test.count}`);
  const full = new CandidateSet(space.choicePoints);
  let candidates = full;
  if (config.shrunkSpace) candidates = readShrunkSpace(config.shrunkSpace, space);

  const phase: RunPhaseState = { phase: 'shrink' };
  checkpoints.register('run', {
    capture: () => ({ state: phase }),
    restore: (saved) => Object.assign(phase, saved as RunPhaseState),
  });

  let shrink: ShrinkResult | undefined;
  const shrinkBegan = Date.now();
  // forks are taken in a fixed order, so a resumed run derives the same generators
  const shrinkRngs = { supernet: rng.fork('shrink-supernet'), train: rng.fork('shrink-train'), score: rng.fork('shrink-score') };
  if (config.shrink.enabled && metric && phase.phase === 'shrink') {
    const supernet = space.createSupernet(data.input, shrinkRngs.supernet);
    await hooks.series('onSupernetBuilt', { phase: 'shrink', space, supernet, candidates });
    const trainer = new SupernetTrainer(supernet, { data, train: config.shrink.train, rng: shrinkRngs.train, phase: 'shrink' }, services);
    const shrinker = new Shrinker({ config: config.shrink, space, metric, data, rng: shrinkRngs.score }, services);
    try {
      shrink = await shrinker.run(supernet, trainer, full);
    } finally {
      trainer.dispose();
      supernet.dispose();
    }
    candidates = shrink.candidates;
    phase.phase = 'search';
    phase.shrink = { candidates: candidates.lists.map((l) => [...l]), rounds: shrink.rounds, epochs: shrink.epochs };
    writeShrunkSpace(runDir.file('shrunk-space.json'), space, metric.name, full, candidates, shrink.rounds);
    await checkpoints.save('shrinking done');
  } else if (phase.shrink) {
    shrink = { candidates: new CandidateSet(space.choicePoints, phase.shrink.candidates), rounds: phase.shrink.rounds, epochs: phase.shrink.epochs };
    candidates = shrink.candidates;
    progress.log(`ABS: done before the interruption (${full.size()} -> ${candidates.size()} children)`);
  }
  phase.phase = 'search';
  const shrinkSeconds = (Date.now() - shrinkBegan) / 1000;

  const searchBegan = Date.now();
  const found = await searcher.search({ ...services, space, candidates, data, rng: rng.fork('search') });
  const text = space.format(found.architecture);
  await hooks.series('onSearchEnd', { architecture: found.architecture, text, metrics: found.metrics });
  const searchSeconds = (Date.now() - searchBegan) / 1000;

  const result: RunResult = {
    name: config.name,
    seed: config.seed,
    space: space.name,
    searcher: searcher.name,
    metric: shrink ? (metric?.name ?? null) : null,
    architecture: text,
    metrics: found.metrics,
    cost: found.cost,
    shrink: {
      enabled: Boolean(shrink),
      sizeBefore: full.size(),
      sizeAfter: candidates.size(),
      rounds: shrink?.rounds.length ?? 0,
      candidates: candidates.toJSON(),
    },
  };
  runDir.writeJson('result.json', result);
  runDir.writeJson('search-history.json', found.history);
  const seconds = { total: (Date.now() - began) / 1000, shrink: shrinkSeconds, search: searchSeconds };
  const outcome: RunOutcome = { result, backend, shrink, seconds };
  runDir.writeText('report.md', renderReport(outcome, space));
  await writeRunReport(runDir.dir, space);
  const leaked = tf.memory().numTensors - tensorsAtStart;
  if (leaked > 0) {
    progress.log(
      `warning: ${leaked} tensor(s) created during the run were not disposed: a plugin that makes a supernet, ` +
        'a SupernetTrainer or tensors of its own must dispose() them (docs/api.md)',
    );
  }
  runDir.emit({ event: 'runEnd', architecture: text, metrics: found.metrics, seconds, tensors: tf.memory().numTensors });
  await hooks.series('onRunEnd', { runDir: runDir.dir, result: result as unknown as Record<string, unknown> });
  return outcome;
}
