/**
 * The sandboxed processor BullMQ forks for `absnas worker`: each job runs
 * in this child process, so training, which blocks its event loop, never
 * stops the worker from renewing the job's lock.
 *
 * A stop request (the worker's SIGTERM or Ctrl-C, passed on as BullMQ's
 * cancel signal, or a signal to this process) saves a checkpoint at the
 * next safe point and puts the job back to waiting with no attempt used.
 * A job that no retry can mend (bad input, exit 2; a non-finite loss, exit
 * 3) fails at once.
 */
import type { SandboxedJob } from 'bullmq';
import { UnrecoverableError, WaitingError } from 'bullmq';
import { Interruption, RunDirectoryLocked, RunInterrupted, UserError } from '@absnas/core';
import { progressReporter, runJob } from './run-job';
import type { JobData } from './jobs';

let current: Interruption | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => current?.request(signal));
// the worker is gone (killed): stop rather than run on unsupervised
process.on('disconnect', () => process.exit(130));

export default async function processCell(job: SandboxedJob<JobData>, token?: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const interruption = new Interruption();
  current = interruption;
  signal?.addEventListener('abort', () => interruption.request(String(signal.reason ?? 'cancelled')), { once: true });
  const progress = progressReporter((p) => void job.updateProgress(p as unknown as object).catch(() => undefined));
  try {
    return await runJob(job.data, String(job.id), token, progress, interruption);
  } catch (e) {
    if (e instanceof RunInterrupted) {
      await job.moveToWait(token);
      throw new WaitingError();
    }
    // another attempt of the cell still runs (its worker has not noticed the job moved): try again later
    if (e instanceof RunDirectoryLocked) throw new Error(e.message);
    if (e instanceof UserError) throw new UnrecoverableError(`${e.message} (exit ${e.exitCode})`);
    throw e;
  } finally {
    current = undefined;
  }
}
