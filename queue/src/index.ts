/**
 * @absnas/queue: absnas across machines on BullMQ and Redis. `absnas
 * worker`, `absnas compare|rank --queue` and `absnas queue` load it.
 */
export { compareOnQueue, MatrixFailed, openQueue, runMatrix } from './coordinator';
export type { QueueCompareOutcome, Unit } from './coordinator';
export { rankOnQueue } from './rank';
export { queueAdmin } from './admin';
export { runWorker, lockMs, addJobs } from './worker';
export { parseQueueUrl, redact, evictionWarning, PREFIX, QUEUE_NAME } from './connection';
export { checkJob, jobId, ATTEMPTS } from './jobs';
export type { CellJobData, JobData, JobProgress, QueuedJob, RankJobData } from './jobs';
