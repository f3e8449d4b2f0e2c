/**
 * `absnas queue status|retry|cancel`: watch and mend what is on the queue,
 * matrix by matrix.
 */
import type { Job } from 'bullmq';
import { UserError, type QueueAdminRequest } from '@absnas/core';
import { parseQueueUrl } from './connection';
import { openQueue } from './coordinator';
import type { JobData } from './jobs';
import { jobRow, renderRows } from './status';

const STATES = ['active', 'waiting', 'prioritized', 'delayed', 'failed', 'completed'] as const;

/** Every job on the queue with its state, oldest first. */
async function listJobs(queue: Awaited<ReturnType<typeof openQueue>>['queue'], matrix?: string): Promise<{ job: Job<JobData>; state: string }[]> {
  const out: { job: Job<JobData>; state: string }[] = [];
  for (const state of STATES) {
    const jobs = (await queue.getJobs([state], 0, -1, true)) as unknown as Job<JobData>[];
    for (const job of jobs) if (job && (!matrix || job.data.matrix === matrix)) out.push({ job, state });
  }
  return out;
}

/** Runs the action; returns what to print on stdout. */
export async function queueAdmin(request: QueueAdminRequest): Promise<string> {
  const target = parseQueueUrl(request.queue);
  const { queue, close } = await openQueue(target);
  try {
    const jobs = await listJobs(queue, request.matrix);
    const chosen = (states: readonly string[]) => {
      if (request.ids.length) {
        const missing = request.ids.filter((id) => !jobs.some((j) => j.job.id === id));
        if (missing.length) throw new UserError(`no job ${missing.join(', ')} on ${target.display}${request.matrix ? ` in matrix ${request.matrix}` : ''} (absnas queue status lists them)`);
        return jobs.filter((j) => request.ids.includes(String(j.job.id)));
      }
      return jobs.filter((j) => states.includes(j.state));
    };
    switch (request.action) {
      case 'status': {
        const workers = await queue.getWorkers();
        const matrices = [...new Set(jobs.map((j) => j.job.data.matrix))];
        const parts = matrices.map((m) => {
          const mine = jobs.filter((j) => j.job.data.matrix === m);
          const count = (s: string) => mine.filter((j) => j.state === s).length;
          return (
            `matrix ${m}: ${count('completed')} done, ${count('active')} running, ${count('waiting') + count('prioritized') + count('delayed')} waiting, ${count('failed')} failed\n` +
            renderRows(mine.map((j) => ({ ...jobRow(j.job, j.state), tag: `${j.job.data.tag}  [${j.job.id}]` })))
          );
        });
        const names = workers.map((w) => /:w:(.*)$/.exec(String((w as { rawname?: string }).rawname ?? ''))?.[1] ?? w.addr ?? '?');
        return [`queue ${target.display}: ${workers.length} worker(s) connected${names.length ? `: ${names.join(', ')}` : ''}`, ...parts].join('\n\n');
      }
      case 'retry': {
        const failed = chosen(['failed']).filter((j) => j.state === 'failed');
        for (const j of failed) await j.job.retry('failed', { resetAttemptsMade: true });
        return `put ${failed.length} failed job(s) back to waiting${failed.length ? `: ${failed.map((j) => j.job.data.tag).join(', ')}` : ''}`;
      }
      case 'cancel': {
        if (!request.ids.length && !request.all && !request.matrix) throw new UserError('absnas queue cancel: name the jobs (ids), --matrix <name> or --all');
        const targets = chosen(['waiting', 'prioritized', 'delayed', 'failed']);
        const running = targets.filter((j) => j.state === 'active');
        const removed = targets.filter((j) => j.state !== 'active' && j.state !== 'completed');
        for (const j of removed) await j.job.remove();
        const lines = [`cancelled ${removed.length} job(s)${removed.length ? `: ${removed.map((j) => j.job.data.tag).join(', ')}` : ''}`];
        if (running.length) lines.push(`running, not cancelled (stop their worker with SIGTERM: the job checkpoints and goes back to waiting, then cancel it): ${running.map((j) => j.job.data.tag).join(', ')}`);
        return lines.join('\n');
      }
      default:
        throw new UserError(`absnas queue: unknown action '${request.action}' (status, retry, cancel)`);
    }
  } finally {
    await close();
  }
}
