/**
 * What a worker's child process does with one job: check it, pin its
 * kernels, and run it through the same function as the local command (a
 * compare cell through runCell), reporting progress as it goes.
 */
import * as os from 'os';
import { assemble, Interruption, kernelSet, runCell, selectBackend, UserError, type BackendChoice, type Progress, type ProgressTask } from '@absnas/core';
import { checkJob, type JobData, type JobProgress } from './jobs';

/** The worker's name, as `absnas worker --name` set it for its children. */
export function workerName(): string {
  return process.env.ABSNAS_WORKER_NAME || `${os.hostname()}-${process.ppid}`;
}

/**
 * The kernel set this worker computes `backend` with; a UserError when it is
 * not the one the matrix is pinned to (the figures would differ in the last
 * bits from the other cells', enough to move an accuracy).
 */
export async function checkKernels(backend: BackendChoice, pinned: string): Promise<string> {
  const mine = kernelSet(await selectBackend(backend));
  if (mine !== pinned) {
    throw new UserError(
      `worker ${workerName()} refuses the job: it computes with '${mine}', the matrix is pinned to '${pinned}' ` +
        '(install the same kernels, or set ABSNAS_NATIVE / ABSNAS_NATIVE_THREADS as on the coordinator: docs/distributed.md)',
    );
  }
  return mine;
}

/**
 * Progress that goes to `report` (job.updateProgress) instead of a console:
 * the phase and epoch of the current task, its step, the last loss; at most
 * one report a second, and each task's start and end.
 */
export function progressReporter(report: (p: JobProgress) => void): Progress {
  const worker = workerName();
  let last = 0;
  let state: JobProgress = { worker, phase: 'starting' };
  const send = (force: boolean): void => {
    const now = Date.now();
    if (!force && now - last < 1000) return;
    last = now;
    report(state);
  };
  return {
    log: () => undefined,
    start(label: string, total: number): ProgressTask {
      const m = /^(\S+) epoch (\d+\/\d+)/.exec(label);
      state = { worker, phase: m ? m[1] : label, epoch: m ? m[2] : undefined, step: 0, total, loss: state.loss };
      send(true);
      let step = 0;
      return {
        tick: (steps = 1) => {
          step += steps;
          state = { ...state, step };
          send(false);
        },
        done: (detail?: string) => {
          const loss = detail ? /loss (-?[\d.]+|NaN|Infinity)/.exec(detail)?.[1] : undefined;
          state = { ...state, step: total, loss: loss !== undefined ? Number(loss) : state.loss };
          send(true);
        },
      };
    },
  };
}

/** Run one job (a UserError for a job that no retry can mend); returns a short summary for the job's return value. */
export async function runJob(raw: unknown, id: string, token: string | undefined, progress: Progress, interruption: Interruption): Promise<Record<string, unknown>> {
  const data: JobData = checkJob(raw);
  const origin = (): string => `job ${id}`;
  if (data.kind === 'cell') {
    const assembly = assemble(data.config, origin);
    await checkKernels(assembly.config.backend, data.kernels);
    const claim = token !== undefined ? { jobId: id, token } : undefined;
    const ran = await runCell(assembly, data.dir, progress, { interruption, claim });
    return { dir: data.dir, ran, worker: workerName() };
  }
  const { runRankSeed } = await import('./rank');
  return runRankSeed(data, origin, progress, interruption);
}
