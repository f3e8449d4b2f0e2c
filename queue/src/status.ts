/**
 * What a person watching a matrix sees: one row per cell (state, worker,
 * phase, epoch, attempts, and why it failed), for the coordinator's live
 * view and `absnas queue status`.
 */
import type { Job } from 'bullmq';
import { ATTEMPTS, type JobData, type JobProgress } from './jobs';

export interface CellRow {
  tag: string;
  state: string;
  worker: string;
  phase: string;
  epoch: string;
  attempts: string;
  /** Why the last attempt failed. */
  reason?: string;
}

/** A row for a job in `state`. */
export function jobRow(job: Job<JobData>, state: string): CellRow {
  const p = (typeof job.progress === 'object' ? job.progress : {}) as Partial<JobProgress>;
  const running = state === 'active';
  return {
    tag: job.data.tag,
    state,
    worker: p.worker ?? job.processedBy ?? '',
    phase: running || state === 'waiting' ? `${p.phase ?? ''}${p.total ? ` ${p.step ?? 0}/${p.total}` : ''}` : '',
    epoch: running ? (p.epoch ?? '') : '',
    // attempts made so far, and the one under way
    attempts: `${job.attemptsMade + (state === 'active' ? 1 : 0)}/${job.opts.attempts ?? ATTEMPTS}`,
    reason: state === 'failed' ? job.failedReason : undefined,
  };
}

/** The rows as an aligned text table, failures' reasons below it. */
export function renderRows(rows: readonly CellRow[]): string {
  const header: CellRow = { tag: 'cell', state: 'state', worker: 'worker', phase: 'phase', epoch: 'epoch', attempts: 'attempts' };
  const cols = ['tag', 'state', 'worker', 'phase', 'epoch', 'attempts'] as const;
  const all = [header, ...rows];
  const widths = cols.map((c) => Math.max(...all.map((r) => r[c].length)));
  const lines = all.map((r) => cols.map((c, i) => r[c].padEnd(widths[i])).join('  ').trimEnd());
  const failed = rows.filter((r) => r.reason);
  if (failed.length) lines.push('', ...failed.map((r) => `${r.tag} failed: ${r.reason}`));
  return lines.join('\n');
}
