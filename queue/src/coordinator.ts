/**
 * `absnas compare <preset> --queue URL`: check every cell, enqueue those
 * without a result under ids derived from their configs, watch the matrix,
 * and write the same compare.md/.json/report.html as the local run from the
 * cells' result.json files on shared storage. Redis holds only queue state:
 * a job lost with Redis is enqueued again from what is on disk.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Queue, type Job } from 'bullmq';
import {
  cellConfig,
  cellTag,
  kernelSet,
  planComparison,
  readPreset,
  selectBackend,
  UserError,
  writeComparison,
  type BackendChoice,
  type ComparisonPlan,
  type ComparisonResult,
  type QueueRunRequest,
} from '@absnas/core';
import { connect, evictionWarning, parseQueueUrl, PREFIX, QUEUE_NAME, scrub, type QueueTarget } from './connection';
import { checkJob, jobId, type CellJobData, type JobData, type QueuedJob } from './jobs';
import { jobRow, renderRows, type CellRow } from './status';
import { addJobs } from './worker';

export interface QueueCompareOutcome {
  dir: string;
  /** The table, unless detached before every cell was done. */
  result?: ComparisonResult;
  /** Jobs added to the queue by this call. */
  enqueued: number;
}

/** A matrix failed: the cells that failed and why (exit 1; `absnas queue retry` puts them back). */
export class MatrixFailed extends UserError {
  override readonly exitCode: number = 1;
}

/** How often the coordinator looks at the queue and the shared storage (ABSNAS_QUEUE_POLL_MS, default 1 s). */
function pollMs(): number {
  const n = Number(process.env.ABSNAS_QUEUE_POLL_MS ?? 1000);
  return Number.isFinite(n) && n >= 50 ? n : 1000;
}

/** Each cell's job, with the ABS cells of a seed riding on the cell that shrinks its space. */
function cellJobs(plan: ComparisonPlan, kernels: string): QueuedJob[] {
  const jobs: QueuedJob[] = plan.cells.map((cell) => {
    const data: CellJobData = {
      kind: 'cell',
      version: 1,
      matrix: plan.config.name,
      tag: cellTag(cell),
      dir: cell.dir,
      config: cellConfig(plan.raw, cell, plan.config.name),
      kernels,
    };
    checkJob(data);
    return { id: jobId(data), data };
  });
  plan.cells.forEach((cell, i) => {
    if (!cell.shrinks) return;
    const file = path.join(cell.dir, 'shrunk-space.json');
    const then = jobs.filter((_, k) => plan.cells[k].shrunkSpaceFrom === file);
    if (then.length) (jobs[i].data as CellJobData).then = then;
  });
  return jobs;
}

/** How long a finished job's result may take to appear on the coordinator's view of the shared storage. */
const RESULT_GRACE_MS = 60_000;

/** One job of a matrix as the coordinator follows it: done when its result is on disk, ready when what it reads is there. */
export interface Unit {
  job: QueuedJob;
  done(): boolean;
  /** Why it cannot be enqueued yet (and whether that is for good: what it waits for failed), or undefined when it can. */
  waits?(failedTags: ReadonlySet<string>): { state: string; blocked: boolean } | undefined;
}

/** One look at the matrix: enqueue what is ready and not queued (again, after a lost Redis), and each unit's row. */
async function sync(queue: Queue, units: readonly Unit[]): Promise<{ rows: CellRow[]; added: number; failed: CellRow[]; blocked: number }> {
  const rows: CellRow[] = [];
  const failed: CellRow[] = [];
  let added = 0;
  let blocked = 0;
  for (const unit of units) {
    const { id, data } = unit.job;
    const blank = { tag: data.tag, worker: '', phase: '', epoch: '', attempts: '' };
    if (unit.done()) {
      rows.push({ ...blank, state: 'done' });
      continue;
    }
    const waits = unit.waits?.(new Set(failed.map((f) => f.tag)));
    if (waits) {
      if (waits.blocked) blocked++;
      rows.push({ ...blank, state: waits.state });
      continue;
    }
    let job = (await queue.getJob(id)) as Job<JobData> | undefined;
    let state = job ? await job.getState() : 'unknown';
    if (job && job.data.dir !== data.dir && state !== 'completed' && state !== 'failed') {
      throw new UserError(`${data.tag}: the same job is queued for ${job.data.dir}; wait for it or cancel it (absnas queue cancel ${id})`);
    }
    if (job && state === 'completed') {
      // shared storage may show a new file late (NFS caches attributes): a job just finished is taken at its word
      if (job.data.dir === data.dir && Date.now() - (job.finishedOn ?? 0) < RESULT_GRACE_MS) {
        rows.push({ ...jobRow(job, state), state: 'finished, result not visible yet' });
        continue;
      }
      // finished for another directory, or its result is gone: compute it again
      await job.remove();
      job = undefined;
    }
    if (!job || state === 'unknown') {
      await addJobs(queue, [{ id, data }]);
      added++;
      job = (await queue.getJob(id)) as Job<JobData> | undefined;
      state = job ? await job.getState() : 'unknown';
    }
    const row = job ? jobRow(job, state) : { ...blank, state };
    if (state === 'failed') failed.push(row);
    rows.push(row);
  }
  return { rows, added, failed, blocked };
}

/** Redraws the matrix in place on a terminal; elsewhere prints it when it changes. */
function view(quiet: boolean | undefined): (text: string) => void {
  let last = '';
  let height = 0;
  const tty = Boolean(process.stderr.isTTY);
  return (text) => {
    if (quiet || text === last) return;
    if (tty && height) process.stderr.write(`\x1b[${height}A\x1b[J`);
    process.stderr.write(`${text}\n`);
    height = text.split('\n').length;
    last = text;
  };
}

/** The kernel set this machine computes `backend` with: the one the matrix is pinned to. */
export async function pinnedKernels(backend: BackendChoice): Promise<string> {
  return kernelSet(await selectBackend(backend));
}

/** Open the queue at `target` (warning when Redis may evict its keys); `close` ends its connection too. */
export async function openQueue(target: QueueTarget): Promise<{ queue: Queue; close(): Promise<void> }> {
  const redis = connect(target, (m) => process.stderr.write(`absnas: ${m}\n`));
  const warning = await evictionWarning(redis);
  if (warning) process.stderr.write(`${warning}\n`);
  const queue = new Queue(QUEUE_NAME, { connection: redis, prefix: PREFIX });
  queue.on('error', (e) => process.stderr.write(`absnas: queue at ${target.display}: ${scrub(e.message, target)}\n`));
  return {
    queue,
    close: async () => {
      await queue.close();
      await redis.quit().catch(() => undefined);
    },
  };
}

/** What to run on the queue and how to collect it. */
export interface MatrixRequest {
  name: string;
  queue: string;
  units: readonly Unit[];
  kernels: string;
  detach?: boolean;
  quiet?: boolean;
  /** The command that collects a detached matrix. */
  collect: string;
}

/**
 * Enqueue the matrix's units, then (unless detached) watch them until each
 * has its result on disk; a MatrixFailed when some failed and nothing else
 * is left to wait for. Returns whether every unit is done, and how many
 * jobs this call added.
 */
export async function runMatrix(request: MatrixRequest): Promise<{ complete: boolean; enqueued: number }> {
  const target = parseQueueUrl(request.queue);
  const { queue, close } = await openQueue(target);
  const show = view(request.quiet);
  const log = (m: string): void => void (request.quiet || process.stderr.write(`${m}\n`));
  // the coordinator only watches: stopping it stops nothing on the workers
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\nabsnas: ${signal}: the jobs go on on the workers; collect the results with: ${request.collect.replace(request.queue, target.display)}\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let enqueued = 0;
    log(`${request.name}: ${request.units.length} job(s) on ${target.display}, pinned to ${request.kernels}`);
    for (;;) {
      const look = await sync(queue, request.units);
      enqueued += look.added;
      show(renderRows(look.rows));
      if (request.units.every((u) => u.done())) {
        log(`${request.name}: every job has its result (${enqueued} enqueued by this command)`);
        return { complete: true, enqueued };
      }
      if (request.detach) {
        log(`enqueued ${enqueued} job(s); collect the results with: ${request.collect.replace(request.queue, target.display)}`);
        return { complete: false, enqueued };
      }
      const open = look.rows.filter((r) => r.state !== 'done').length;
      if (look.failed.length && look.failed.length + look.blocked === open) {
        throw new MatrixFailed(
          `${look.failed.length} job(s) failed:\n${look.failed.map((r) => `  ${r.tag}: ${r.reason}`).join('\n')}\n` +
            `put them back with: absnas queue retry --queue ${target.display} --matrix ${request.name}, then run this command again`,
        );
      }
      await new Promise((r) => setTimeout(r, pollMs()));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await close();
  }
}

/** `absnas compare --queue`: the cells as units, then the same table as the local run. */
export async function compareOnQueue(request: QueueRunRequest): Promise<QueueCompareOutcome> {
  const { raw, origin } = readPreset(request.preset, request.sets);
  const dir = path.resolve(request.out ?? path.join('runs', `compare-${path.basename(request.preset, '.json')}`));
  // every cell is checked before anything is enqueued
  const plan = planComparison(raw, origin, dir);
  parseQueueUrl(request.queue);
  const kernels = await pinnedKernels(plan.config.backend);
  fs.mkdirSync(dir, { recursive: true });
  const jobs = cellJobs(plan, kernels);
  const units: Unit[] = plan.cells.map((cell, i) => ({
    job: jobs[i],
    done: () => fs.existsSync(path.join(cell.dir, 'result.json')),
    waits: (failed) => {
      if (!cell.shrunkSpaceFrom || fs.existsSync(cell.shrunkSpaceFrom)) return undefined;
      const shrinker = jobs[plan.cells.findIndex((c) => c.seed === cell.seed && c.shrinks)];
      const blocked = failed.has(shrinker.data.tag);
      return { state: blocked ? 'blocked: its shrinking cell failed' : 'waits for its shrunk space', blocked };
    },
  }));
  const sets = (request.sets ?? []).map((s) => ` --set ${s}`).join('');
  const collect = `absnas compare ${request.preset}${sets} --queue ${request.queue} --out ${dir}`;
  const { complete, enqueued } = await runMatrix({ name: plan.config.name, queue: request.queue, units, kernels, detach: request.detach, quiet: request.quiet, collect });
  return { dir, result: complete ? await writeComparison(plan) : undefined, enqueued };
}
