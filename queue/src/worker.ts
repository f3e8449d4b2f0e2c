/**
 * `absnas worker`: takes jobs from the queue and runs each in a child
 * process (BullMQ's sandboxed processor, processor.ts). The first SIGTERM
 * or Ctrl-C asks the running jobs to checkpoint and go back to waiting,
 * then the worker exits; a second one exits at once.
 */
import * as os from 'os';
import * as path from 'path';
import { Queue, Worker, type Job } from 'bullmq';
import type { WorkerOptions } from '@absnas/core';
import { connect, evictionWarning, parseQueueUrl, PREFIX, QUEUE_NAME, scrub } from './connection';
import { ATTEMPTS, backoff, type JobData, type JobProgress } from './jobs';

/**
 * How long a job's lock lasts without renewal, and how often workers look
 * for jobs whose lock lapsed (a dead machine's): ABSNAS_QUEUE_LOCK_MS
 * (default 30 s; tests shorten it).
 */
export function lockMs(): number {
  const n = Number(process.env.ABSNAS_QUEUE_LOCK_MS ?? 30_000);
  return Number.isFinite(n) && n >= 100 ? n : 30_000;
}

/** Add `jobs` (cells that waited for a shrunk space) under their own ids: adding one twice adds it once. */
export async function addJobs(queue: Queue, jobs: readonly { id: string; data: JobData }[]): Promise<void> {
  for (const j of jobs) {
    await queue.add(j.data.kind, j.data, { jobId: j.id, attempts: ATTEMPTS, backoff: backoff(), removeOnComplete: false, removeOnFail: false });
  }
}

/** Run a worker until it is stopped; resolves with the exit code. */
export async function runWorker(options: WorkerOptions): Promise<number> {
  const target = parseQueueUrl(options.queue);
  const name = options.name ?? `${os.hostname()}-${process.pid}`;
  const concurrency = options.concurrency ?? 1;
  const say = (m: string): void => {
    if (!options.quiet) process.stderr.write(`${m}\n`);
  };
  const warn = (m: string): void => void process.stderr.write(`${scrub(m, target)}\n`);
  // the children inherit it: their progress names the worker
  process.env.ABSNAS_WORKER_NAME = name;
  const admin = connect(target, (m) => warn(`absnas worker ${name}: ${m}`));
  const evict = await evictionWarning(admin);
  if (evict) warn(evict);
  const queue = new Queue(QUEUE_NAME, { connection: admin, prefix: PREFIX });
  const lock = lockMs();
  const worker = new Worker<JobData>(QUEUE_NAME, path.join(__dirname, 'processor.js'), {
    connection: connect(target),
    prefix: PREFIX,
    name,
    concurrency,
    useWorkerThreads: false,
    lockDuration: lock,
    stalledInterval: lock,
    // a job on a machine that dies is resumed elsewhere, again and again
    maxStalledCount: 10,
  });
  let lastError = '';
  worker.on('error', (e) => {
    // a lost Redis reports the same error on every reconnect attempt: once is enough
    if (e.message !== lastError) warn(`absnas worker ${name}: ${e.message}`);
    lastError = e.message;
  });
  worker.on('active', (job: Job<JobData>) => say(`${name}: ${job.data.matrix}: ${job.data.tag}: started (attempt ${job.attemptsMade + 1} of ${ATTEMPTS}) in ${job.data.dir}`));
  let lastLine = '';
  worker.on('progress', (job: Job<JobData>, p) => {
    const q = p as unknown as JobProgress;
    if (!q || !q.total || q.step !== q.total) return;
    const line = `${name}: ${job.data.tag}: ${q.phase}${q.epoch ? ` epoch ${q.epoch}` : ''} done${q.loss !== undefined && q.epoch ? `, loss ${q.loss}` : ''}`;
    if (line !== lastLine) say(line);
    lastLine = line;
  });
  worker.on('completed', (job: Job<JobData>) => {
    say(`${name}: ${job.data.matrix}: ${job.data.tag}: done`);
    if (job.data.kind === 'cell' && job.data.then?.length) {
      addJobs(queue, job.data.then).catch((e: Error) => warn(`absnas worker ${name}: could not enqueue the cells of ${job.data.tag}'s shrunk space: ${e.message}`));
    }
  });
  worker.on('failed', (job: Job<JobData> | undefined, e: Error) => {
    if (job) warn(`${name}: ${job.data.matrix}: ${job.data.tag}: failed (attempt ${job.attemptsMade} of ${ATTEMPTS}): ${e.message}`);
  });
  say(`absnas worker ${name}: waiting for jobs on ${target.display} (concurrency ${concurrency}; Ctrl-C checkpoints the running jobs and puts them back)`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        warn(`absnas worker ${name}: ${signal} again: stopping at once`);
        process.exit(130);
      }
      stopping = true;
      warn(`absnas worker ${name}: ${signal}: checkpointing the running jobs and putting them back to waiting (again to stop at once)`);
      worker.cancelAllJobs(signal);
      void worker
        .close()
        .then(() => queue.close())
        .then(() => admin.quit().catch(() => undefined))
        .then(() => resolve(130), (e: Error) => {
          warn(`absnas worker ${name}: ${e.message}`);
          resolve(1);
        });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
