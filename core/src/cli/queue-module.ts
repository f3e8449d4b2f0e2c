/**
 * absnas across machines lives in @absnas/queue (BullMQ and Redis): it is
 * loaded only when a command names a queue, so @absnas/core runs without
 * it, and without Redis.
 */
import type { ComparisonResult } from '../compare/compare';
import type { RankResult } from '../rank';
import { UserError } from '../util/errors';

/** What the CLI uses of @absnas/queue. */
export interface QueueModule {
  runWorker(options: { queue: string; name?: string; concurrency?: number; quiet?: boolean }): Promise<number>;
  compareOnQueue(request: {
    preset: string;
    sets?: readonly string[];
    out?: string;
    queue: string;
    detach?: boolean;
    quiet?: boolean;
  }): Promise<{ dir: string; result?: ComparisonResult; enqueued: number }>;
  rankOnQueue(request: {
    preset: string;
    sets?: readonly string[];
    out?: string;
    queue: string;
    detach?: boolean;
    quiet?: boolean;
    command: string;
  }): Promise<{ dir: string; result?: RankResult; lines: string[] }>;
  queueAdmin(request: { action: string; queue: string; ids: readonly string[]; matrix?: string; all?: boolean }): Promise<string>;
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
