/**
 * Opening a run directory for work: the one way `absnas run`, `absnas
 * train` and every cell of `absnas compare` start. The directory is locked
 * while the work runs (and released whatever happens); a run resumes from
 * its newest valid checkpoint when asked, and a fresh run is refused in a
 * directory that already holds one; the backend is selected; config.json
 * and the start event are written. The work gets the run's services; a
 * run that leaves tensors behind says so.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { kernelSet, selectBackend, type BackendInfo } from '../backend';
import type { BackendChoice } from '../backend/choices';
import { Checkpointer, configHash } from '../checkpoint/checkpointer';
import { Interruption } from '../checkpoint/interrupt';
import type { HookBus } from '../hooks/hooks';
import type { RunServices } from '../services/run-services';
import { UserError } from '../util/errors';
import type { Progress } from '../util/progress';
import { removeStaleTempFiles } from '../util/fs';
import { acquireRunLock } from './lock';
import type { RunDirectory } from './run-dir';

/**
 * A queue job's claim on a run directory: the job and the token of its
 * current attempt. A later attempt of the same job (on any host) takes the
 * lock over by its new token; the holder of the older one stops at its next
 * checkpoint.
 */
export interface RunClaim {
  jobId: string;
  token: string;
}

export interface OpenRunOptions {
  /** `run` or `train`: the start event is `<kind>Start`, or `<kind>Resume` when resuming. */
  kind: 'run' | 'train';
  /** The effective config: written to config.json; its hash keys the checkpoints, so a checkpoint resumes only its own config. */
  config: { name: string; seed: number; backend: BackendChoice };
  /** Continue from the newest valid checkpoint (none: start from the beginning). Otherwise a directory that holds a run is refused. */
  resume?: boolean;
  progress: Progress;
  /** Polled by the run's long loops (default: one that nothing requests). */
  interruption?: Interruption;
  /** A queue job's claim on the directory (see RunClaim). */
  claim?: RunClaim;
  /** Fields of the start event after name, seed and backend. */
  startEvent?: Record<string, unknown>;
}

/** A run directory open for work. */
export interface OpenRun {
  readonly runDir: RunDirectory;
  readonly checkpoints: Checkpointer;
  readonly backend: BackendInfo;
  /** Seconds the run has worked, over every segment: a resumed run adds those up to its checkpoint. */
  elapsed(): number;
  /**
   * The run's services around `hooks`: progress, events into events.jsonl,
   * the run's checkpoints (where the hooks also save what handlers ask for)
   * and its interruption.
   */
  services(hooks: HookBus): RunServices & { checkpoints: Checkpointer };
}

/** Open `runDir` (see the module comment), do `work`, and close it again. */
export async function withOpenRun<T>(runDir: RunDirectory, options: OpenRunOptions, work: (run: OpenRun) => Promise<T>): Promise<T> {
  const { config, progress } = options;
  const lock = acquireRunLock(runDir.dir, { note: (m) => progress.log(m), ...options.claim });
  try {
    // what a process killed in the middle of a write left (the lock says none is writing now)
    for (const dir of [runDir.dir, runDir.file('checkpoints')]) {
      for (const f of removeStaleTempFiles(dir)) progress.log(`removed ${f}, left by a write that was interrupted`);
    }
    const checkpoints = new Checkpointer(runDir.file('checkpoints'), configHash(portable(config, runDir.dir)));
    // an attempt whose lock a later attempt of its job took over stops before writing again
    checkpoints.beforeWrite = () => lock.check();
    if (options.resume) resumeFromLatest(checkpoints, progress);
    else if (runDir.holdsRun()) {
      throw new UserError(`run directory ${runDir.dir} already holds a run: resume it with --resume, or choose another --out`);
    } else {
      const foreign = runDir.foreignEntries();
      if (foreign.length > 0) {
        const shown = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? `, ... (${foreign.length} in all)` : '');
        throw new UserError(`run directory ${runDir.dir} is not empty and holds no absnas run (${shown}): choose an empty or new --out`);
      }
    }
    const elapsed = followCheckpoints(runDir, checkpoints, progress);
    const interruption = options.interruption ?? new Interruption();
    const backend = await selectBackend(config.backend, (m) => progress.log(m));
    const tensorsAtStart = tf.memory().numTensors;
    runDir.writeJson('config.json', config);
    runDir.emit({
      event: `${options.kind}${options.resume ? 'Resume' : 'Start'}`,
      name: config.name,
      seed: config.seed,
      backend: backend.name,
      kernels: kernelSet(backend),
      ...options.startEvent,
    });
    const services = (hooks: HookBus): RunServices & { checkpoints: Checkpointer } => {
      hooks.saveCheckpointsIn(checkpoints);
      return { hooks, progress, emit: (e) => runDir.emit(e), checkpoints, interruption };
    };
    const done = await work({ runDir, checkpoints, backend, services, elapsed });
    const leaked = tf.memory().numTensors - tensorsAtStart;
    if (leaked > 0) {
      progress.log(
        `warning: ${leaked} tensor(s) created during the run were not disposed: a plugin that makes a supernet, ` +
          'a SupernetTrainer or tensors of its own must dispose() them (docs/api.md)',
      );
    }
    return done;
  } finally {
    lock.release();
  }
}

/**
 * What the run directory keeps in each checkpoint (the part `runDir`): how
 * long events.jsonl was, and how long the run had worked. A resumed run cuts
 * the log back to that length, since the work after the checkpoint is done
 * (and logged) again, and counts its wall time from those seconds. A torn
 * last line of the log (a kill in the middle of an append) is dropped in any
 * case. Returns the run's working seconds so far.
 */
function followCheckpoints(runDir: RunDirectory, checkpoints: Checkpointer, progress: Progress): () => number {
  const torn = runDir.truncateEvents();
  if (torn > 0) progress.log(`dropped a torn last line of ${runDir.file('events.jsonl')} (${torn} bytes)`);
  const began = Date.now();
  let before = 0;
  const elapsed = (): number => before + (Date.now() - began) / 1000;
  checkpoints.register('runDir', {
    capture: () => ({ state: { eventsBytes: runDir.eventsBytes(), seconds: elapsed() } }),
    restore: (saved) => {
      const s = saved as { eventsBytes: number; seconds: number };
      before = s.seconds;
      const dropped = runDir.truncateEvents(s.eventsBytes);
      if (dropped > 0) progress.log(`events.jsonl: dropped ${dropped} bytes logged after the checkpoint (that work is done again)`);
    },
  });
  return elapsed;
}

/**
 * The config as its checkpoints are keyed: a shrunk space to search is
 * named relative to the run directory, so a run resumes on any machine that
 * mounts the shared storage, wherever it mounts it.
 */
function portable(config: OpenRunOptions['config'], dir: string): unknown {
  const shrunk = (config as { shrunkSpace?: unknown }).shrunkSpace;
  return typeof shrunk === 'string' ? { ...config, shrunkSpace: path.relative(dir, path.resolve(shrunk)) } : config;
}

/** Parts restore themselves from the newest valid checkpoint as they register; without one the run starts over. */
function resumeFromLatest(checkpoints: Checkpointer, progress: Progress): void {
  const loaded = checkpoints.latest((m) => progress.log(`warning: ${m}`));
  if (loaded) {
    progress.log(`resuming from ${loaded.file} (${loaded.reason})`);
    checkpoints.resumeFrom(loaded);
  } else {
    progress.log('no checkpoint to resume from: starting from the beginning');
  }
}
