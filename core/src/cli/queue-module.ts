/**
 * absnas across machines lives in @absnas/queue (BullMQ and Redis): it is
 * loaded only when a command names a queue, so @absnas/core runs without
 * it, and without Redis.
 */
import type { ComparisonResult } from '../compare/compare';
import type { RankResult } from '../rank';
import { UserError } from '../util/errors';

/** `absnas compare|rank <preset> --queue URL`: what to run, where to write, on which queue. */
export interface QueueRunRequest {
  preset: string;
  sets?: readonly string[];
  /** The output directory, on storage every worker mounts at the same path. */
  out?: string;
  /** The Redis URL. */
  queue: string;
  /** Enqueue and return; the same command again collects. */
  detach?: boolean;
  quiet?: boolean;
}

/** `absnas rank --queue`: the run request with the command line for ranking.md (its queue URL left out). */
export interface QueueRankRequest extends QueueRunRequest {
  command: string;
}

/** `absnas worker`. */
export interface WorkerOptions {
  queue: string;
  name?: string;
  concurrency?: number;
  /** Print nothing but warnings and errors. */
  quiet?: boolean;
}

/** `absnas queue status|retry|cancel`. */
export interface QueueAdminRequest {
  action: string;
  queue: string;
  /** Job ids to act on (retry, cancel). */
  ids: readonly string[];
  /** Only this matrix's jobs. */
  matrix?: string;
  /** cancel: every job of the queue (or of --matrix). */
  all?: boolean;
}

/** What the CLI uses of @absnas/queue. */
export interface QueueModule {
  runWorker(options: WorkerOptions): Promise<number>;
  compareOnQueue(request: QueueRunRequest): Promise<{ dir: string; result?: ComparisonResult; enqueued: number }>;
  rankOnQueue(request: QueueRankRequest): Promise<{ dir: string; result?: RankResult; lines: string[] }>;
  queueAdmin(request: QueueAdminRequest): Promise<string>;
}

/** @absnas/queue from the working directory's installation or beside core; a UserError saying how to install it. */
export function loadQueueModule(): QueueModule {
  let file: string;
  try {
    file = require.resolve('@absnas/queue', { paths: [process.cwd(), __dirname] });
  } catch {
    throw new UserError('running on a queue needs @absnas/queue (BullMQ and Redis): npm install @absnas/queue');
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as QueueModule;
}
