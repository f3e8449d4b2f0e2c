/**
 * The harness of the queue tests: a redis-server of their own (with a
 * password), workers as separate processes in process groups of their own,
 * the CLI as a child process, and the local compare every distributed one
 * must equal.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Queue, type Job } from 'bullmq';
import { PREFIX, QUEUE_NAME, type CellJobData } from '@absnas/queue';
import { CLI, ROOT, tempDir } from '../e2e/helpers';
import { REDIS_PASSWORD, startRedis, type TestRedis } from './redis';

export { REDIS_PASSWORD, ROOT };

// short locks: a dead worker's job is taken up again within a second or two
export const ENV: Record<string, string> = {
  ...(process.env as Record<string, string>),
  FORCE_COLOR: '0',
  ABSNAS_QUEUE_LOCK_MS: '1000',
  ABSNAS_QUEUE_POLL_MS: '200',
  ABSNAS_QUEUE_BACKOFF_MS: '200',
  ABSNAS_NATIVE_THREADS: '1',
};

export const spos = (epochs: number, iterations: number) => ({
  plugin: '@absnas/spos',
  options: { epochs, train: { batchSize: 32 }, evolution: { population: 4, iterations, topK: 2, crossovers: 2, mutations: 2 }, recalibrationBatches: 1, evalBatchSize: 32 },
});

export interface Worker {
  child: ChildProcess;
  log(): string;
  exited: Promise<number | null>;
}

export interface Harness {
  dir: string;
  redis: TestRedis;
  queue: Queue;
  preset(name: string, content: Record<string, unknown>): string;
  /** `absnas worker` in a process group of its own (its job's child process joins it). */
  startWorker(name: string, env?: Record<string, string>): Worker;
  cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }>;
  localCompare(file: string): Promise<string>;
  allJobs(): Promise<Job<CellJobData>[]>;
}

/** Registers the hooks that start and stop Redis and the workers; the fields are set once beforeAll ran. */
export function harness(name: string, options: { aof?: boolean } = {}): Harness {
  const dir = tempDir(name);
  const workers: ChildProcess[] = [];
  const local = new Map<string, string>();
  const h: Harness = {
    dir,
    redis: undefined as unknown as TestRedis,
    queue: undefined as unknown as Queue,
    preset(presetName, content) {
      const file = path.join(dir, `${presetName}.json`);
      const base = {
        extends: path.join(ROOT, 'presets/quickstart.json'),
        data: { dataset: 'synthetic', trainSize: 128, valSize: 32, testSize: 32 },
        space: { plugin: '@absnas/space-nb201', options: { channels: 4, cellsPerStage: 1 } },
        shrink: { epochsBeforeFirstRound: 1, train: { batchSize: 32 } },
      };
      fs.writeFileSync(file, JSON.stringify({ ...base, name: presetName, ...content }));
      return file;
    },
    startWorker(workerName, env = {}) {
      const child = spawn(process.execPath, [CLI, 'worker', '--queue', h.redis.url, '--name', workerName], {
        cwd: ROOT,
        env: { ...ENV, ...env },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      workers.push(child);
      let text = '';
      child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
      return { child, log: () => text, exited: new Promise((r) => child.on('exit', (code) => r(code))) };
    },
    cli(args) {
      return new Promise((resolve) => {
        const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: ENV });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('exit', (status) => resolve({ status, stdout, stderr }));
      });
    },
    async localCompare(file) {
      if (!local.has(file)) {
        const out = path.join(dir, `local-${path.basename(file, '.json')}`);
        const r = await h.cli(['compare', file, '--out', out, '--quiet']);
        expect(r.status).toBe(0);
        local.set(file, path.join(out, 'compare.json'));
      }
      return local.get(file)!;
    },
    async allJobs() {
      return (await h.queue.getJobs(['active', 'waiting', 'delayed', 'prioritized', 'failed', 'completed'], 0, -1)) as unknown as Job<CellJobData>[];
    },
  };
  beforeAll(async () => {
    h.redis = await startRedis(path.join(dir, 'redis'), options);
    h.queue = new Queue(QUEUE_NAME, { prefix: PREFIX, connection: { host: '127.0.0.1', port: h.redis.port, password: REDIS_PASSWORD } });
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) {
      if (w.exitCode === null && w.signalCode === null) {
        try {
          process.kill(-w.pid!, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
    await h.queue.obliterate({ force: true });
  });
  afterAll(async () => {
    await h.queue.close();
    await h.redis.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return h;
}

export async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** compare.json without its wall times. */
export const deterministic = (file: string) => {
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  delete j.timing;
  return j;
};

/** The checkpoint files of a cell. */
export const checkpoints = (cell: string): string[] =>
  fs.existsSync(path.join(cell, 'checkpoints')) ? fs.readdirSync(path.join(cell, 'checkpoints')).filter((f) => f.endsWith('.ckpt')) : [];

/** The events of a run directory. */
export const events = (cell: string): { event: string; [k: string]: unknown }[] =>
  fs.readFileSync(path.join(cell, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
