/**
 * What a job on the queue holds, its deterministic id, and the check a
 * worker makes before it runs anything: a job names plugins by package name
 * only (resolved from the worker's own installation, never a path or URL
 * from the queue), and its config passes the same schema as a local run.
 */
import * as path from 'path';
import { configHash, PLUGIN_SLOTS, UserError } from '@absnas/core';

/** What every job holds. */
interface JobBase {
  version: 1;
  /** The comparison's or ranking's name (the preset's), for `absnas queue status`. */
  matrix: string;
  /** `spos / abs / seed 0`, `nb201-ranking / seed 1`. */
  tag: string;
  /** Where the job writes, an absolute path every worker mounts. */
  dir: string;
  /** The run config (a compare cell's; a ranking's with one seed), complete: no extends. */
  config: Record<string, unknown>;
  /** The kernel set the matrix is pinned to (see kernelSet in @absnas/core). */
  kernels: string;
}

/** One cell of a comparison matrix, run by `absnas worker` into `dir`. */
export interface CellJobData extends JobBase {
  kind: 'cell';
  /** Cells that search this cell's shrunk space: enqueued once it has written shrunk-space.json. */
  then?: QueuedJob[];
}

/** One seed of a ranking experiment (`absnas rank --queue`), written to `dir`/ranking.json. */
export interface RankJobData extends JobBase {
  kind: 'rank';
}

export type JobData = CellJobData | RankJobData;

/** A job with its id, as it is added to the queue. */
export interface QueuedJob {
  id: string;
  data: JobData;
}

/** What a running job reports through job.updateProgress. */
export interface JobProgress {
  worker: string;
  phase: string;
  epoch?: string;
  step?: number;
  total?: number;
  loss?: number;
}

/** Retries of a job that failed for a reason that may pass (a lost machine, a full disk): 3 attempts. */
export const ATTEMPTS = 3;

/** Waits between them: 10 s, then 20 s (ABSNAS_QUEUE_BACKOFF_MS sets the first; tests shorten it). */
export function backoff(): { type: 'exponential'; delay: number } {
  const n = Number(process.env.ABSNAS_QUEUE_BACKOFF_MS ?? 10_000);
  return { type: 'exponential', delay: Number.isFinite(n) && n >= 0 ? n : 10_000 };
}

/**
 * A job's id: a hash of what the job computes (its config, with the shrunk
 * space it searches named relative to the cell), so enqueuing a cell twice
 * adds it once, and a matrix mounted elsewhere gets the same ids. BullMQ's
 * ids may not contain ':' nor be plain integers: a prefix and hex digits.
 */
export function jobId(data: JobData): string {
  const config = { ...data.config };
  if (typeof config.shrunkSpace === 'string') config.shrunkSpace = path.relative(data.dir, config.shrunkSpace);
  return `${data.kind}-${configHash({ config, cell: path.basename(data.dir), kernels: data.kernels })}`;
}

/** An npm package name (scoped or not): no path, no URL, no version range. */
const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/** Every `plugin` a config names, with where it names it (the slots of a run, and a rank section's metrics). */
function pluginNames(config: Record<string, unknown>): { where: string; name: unknown }[] {
  const found: { where: string; name: unknown }[] = [];
  const at = (pointer: string): unknown => pointer.slice(1).split('/').reduce<unknown>((n, k) => (n && typeof n === 'object' ? (n as Record<string, unknown>)[k] : undefined), config);
  const refs = (pointer: string, value: unknown): void => {
    if (Array.isArray(value)) value.forEach((v, i) => refs(`${pointer}/${i}`, v));
    else if (value && typeof value === 'object') found.push({ where: `${pointer}/plugin`, name: (value as Record<string, unknown>).plugin });
  };
  for (const slot of PLUGIN_SLOTS) refs(slot.pointer, at(slot.pointer));
  refs('/rank/metrics', at('/rank/metrics'));
  return found.filter((f) => f.name !== undefined);
}

/**
 * Refuse a job that could make the worker run code it did not install: a
 * plugin named by path or URL, a config that extends a file. The config is
 * then validated by the run's own schema when it is assembled.
 */
export function checkJob(data: unknown): JobData {
  const d = data as Partial<JobData> | undefined;
  if (!d || (d.kind !== 'cell' && d.kind !== 'rank') || d.version !== 1) {
    throw new UserError(`job: not an absnas job of this version (kind ${String(d?.kind)}, version ${String(d?.version)}); is the worker older than the coordinator?`);
  }
  if (typeof d.dir !== 'string' || !path.isAbsolute(d.dir)) throw new UserError(`job: dir must be an absolute path on shared storage, got ${JSON.stringify(d.dir)}`);
  if (!d.config || typeof d.config !== 'object' || Array.isArray(d.config)) throw new UserError('job: config must be an object');
  if ('extends' in d.config) throw new UserError('job: config/extends: a job carries its whole config; it may not extend a file');
  for (const { where, name } of pluginNames(d.config)) {
    if (typeof name !== 'string' || !PACKAGE_NAME.test(name)) {
      throw new UserError(
        `job: config${where}: '${String(name)}' is not a package name; a queued job names plugins by package name only, ` +
          "resolved from the worker's own installation (install the plugin on every worker)",
      );
    }
  }
  if (typeof d.kernels !== 'string') throw new UserError('job: kernels: the kernel set the matrix is pinned to is missing');
  return d as JobData;
}
