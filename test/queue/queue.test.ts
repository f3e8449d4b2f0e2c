/**
 * absnas across machines against a real redis-server (started here, with a
 * password): workers as separate processes, the coordinator as the CLI, and
 * each result checked against the local `absnas compare` of the same preset.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Queue, type Job } from 'bullmq';
import { addJobs, PREFIX, QUEUE_NAME, type CellJobData } from '@absnas/queue';
import { CLI, ROOT, tempDir } from '../e2e/helpers';
import { REDIS_PASSWORD, startRedis, type TestRedis } from './redis';

const dir = tempDir('queue');
// short locks: a dead worker's job is taken up again within a second or two
const ENV = { ...process.env, FORCE_COLOR: '0', ABSNAS_QUEUE_LOCK_MS: '1000', ABSNAS_QUEUE_POLL_MS: '200', ABSNAS_NATIVE_THREADS: '1' };
const spos = (epochs: number, iterations: number) => ({
  plugin: '@absnas/spos',
  options: { epochs, train: { batchSize: 32 }, evolution: { population: 4, iterations, topK: 2, crossovers: 2, mutations: 2 }, recalibrationBatches: 1, evalBatchSize: 32 },
});
const base = {
  extends: path.join(ROOT, 'presets/quickstart.json'),
  data: { dataset: 'synthetic', trainSize: 128, valSize: 32, testSize: 32 },
  space: { plugin: '@absnas/space-nb201', options: { channels: 4, cellsPerStage: 1 } },
  shrink: { epochsBeforeFirstRound: 1, train: { batchSize: 32 } },
};
function preset(name: string, content: Record<string, unknown>): string {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({ ...base, name, ...content }));
  return file;
}
// two searchers x both spaces: the ABS cells wait for their seed's shrunk space
const MATRIX = preset('matrix', { compare: { searchers: [spos(1, 2), spos(2, 1)], seeds: [0] } });
// one cell of several epochs: long enough to be stopped after its first checkpoint
const LONG = preset('long', { data: { dataset: 'synthetic', trainSize: 512, valSize: 32, testSize: 32 }, compare: { searchers: [spos(6, 2)], seeds: [0], spaces: ['original'] } });

let redis: TestRedis;
let queue: Queue;
const workers: ChildProcess[] = [];

interface Worker {
  child: ChildProcess;
  log(): string;
  exited: Promise<number | null>;
}

/** `absnas worker` in a process group of its own (its job's child process joins it). */
function startWorker(name: string, env: Record<string, string> = {}): Worker {
  const child = spawn(process.execPath, [CLI, 'worker', '--queue', redis.url, '--name', name], { cwd: ROOT, env: { ...ENV, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  workers.push(child);
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  return { child, log: () => text, exited: new Promise((r) => child.on('exit', (code) => r(code))) };
}

function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: ENV });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const deterministic = (file: string) => {
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  delete j.timing;
  return j;
};
const checkpoints = (cell: string) => (fs.existsSync(path.join(cell, 'checkpoints')) ? fs.readdirSync(path.join(cell, 'checkpoints')).filter((f) => f.endsWith('.ckpt')) : []);
const allJobs = async () => (await queue.getJobs(['active', 'waiting', 'delayed', 'prioritized', 'failed', 'completed'], 0, -1)) as unknown as Job<CellJobData>[];

/** The local compare of `file`: what every distributed one must equal. */
const local = new Map<string, string>();
async function localCompare(file: string): Promise<string> {
  if (!local.has(file)) {
    const out = path.join(dir, `local-${path.basename(file, '.json')}`);
    const r = await cli(['compare', file, '--out', out, '--quiet']);
    expect(r.status).toBe(0);
    local.set(file, path.join(out, 'compare.json'));
  }
  return local.get(file)!;
}

beforeAll(async () => {
  redis = await startRedis(path.join(dir, 'redis'));
  queue = new Queue(QUEUE_NAME, { prefix: PREFIX, connection: { host: '127.0.0.1', port: redis.port, password: REDIS_PASSWORD } });
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
  await queue.obliterate({ force: true });
});

afterAll(async () => {
  await queue.close();
  await redis.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('absnas compare --queue', () => {
  it('with two workers writes the table of the local compare; run again, it enqueues nothing', async () => {
    const expected = deterministic(await localCompare(MATRIX));
    const w1 = startWorker('w1');
    const w2 = startWorker('w2');
    const out = path.join(dir, 'matrix');
    const r = await cli(['compare', MATRIX, '--queue', redis.url, '--out', out]);
    expect(r.stderr).toContain('(4 enqueued by this command)');
    expect(r.status).toBe(0);
    expect(deterministic(path.join(out, 'compare.json'))).toEqual(expected);
    expect(fs.readFileSync(path.join(out, 'compare.md'), 'utf8')).toContain(`Computed by: ${expected.computedBy[0]}`);
    expect(fs.existsSync(path.join(out, 'report.html'))).toBe(true);
    const jobs = await allJobs();
    expect(jobs.map((j) => j.data.tag).sort()).toEqual(['spos / abs / seed 0', 'spos / original / seed 0', 'spos-2 / abs / seed 0', 'spos-2 / original / seed 0']);
    for (const j of jobs) expect(['w1', 'w2']).toContain(j.processedBy);
    expect(jobs.every((j) => j.finishedOn && !j.failedReason)).toBe(true);

    const status = await cli(['queue', 'status', '--queue', redis.url]);
    expect(status.status).toBe(0);
    expect(status.stdout).toContain('matrix matrix: 4 done, 0 running, 0 waiting, 0 failed');
    expect(status.stdout).toMatch(/2 worker\(s\) connected: (w1, w2|w2, w1)/);

    const again = await cli(['compare', MATRIX, '--queue', redis.url, '--out', out]);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('(0 enqueued by this command)');
    expect((await allJobs()).length).toBe(4);

    // the password appears nowhere: not in logs, not in the run directories
    const written = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? written(path.join(d, e.name)) : [path.join(d, e.name)]));
    const texts = [r.stdout, r.stderr, again.stderr, status.stdout, w1.log(), w2.log(), ...written(out).filter((f) => !f.endsWith('.ckpt')).map((f) => fs.readFileSync(f, 'utf8'))];
    expect(texts.some((t) => t.includes(REDIS_PASSWORD))).toBe(false);
    expect(r.stderr).toContain(`redis://:***@127.0.0.1:${redis.port}/0`);
  });

  it('a worker killed (SIGKILL, its process group) after a checkpoint: another resumes the cell, with the same result', async () => {
    const expected = deterministic(await localCompare(LONG));
    const out = path.join(dir, 'killed');
    const cell = path.join(out, 'cells/spos-original-seed0');
    const a = startWorker('a');
    const enq = await cli(['compare', LONG, '--queue', redis.url, '--out', out, '--detach']);
    expect(enq.status).toBe(0);
    expect(enq.stderr).toContain('enqueued 1 job(s)');
    await until('the first checkpoint', () => checkpoints(cell).length > 0);
    process.kill(-a.child.pid!, 'SIGKILL');
    await a.exited;
    expect(fs.existsSync(path.join(cell, 'result.json'))).toBe(false);
    const b = startWorker('b');
    const r = await cli(['compare', LONG, '--queue', redis.url, '--out', out]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('(0 enqueued by this command)');
    const events = fs.readFileSync(path.join(cell, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events.filter((e) => e.event === 'runResume')).toHaveLength(1);
    expect(deterministic(path.join(out, 'compare.json'))).toEqual(expected);
    const [job] = await allJobs();
    expect(job.processedBy).toBe('b');
    expect(b.log()).toContain('spos / original / seed 0: done');
  });

  it('SIGTERM: the worker checkpoints, the job goes back to waiting with no attempt used, and finishes elsewhere', async () => {
    const expected = deterministic(await localCompare(LONG));
    const out = path.join(dir, 'sigterm');
    const cell = path.join(out, 'cells/spos-original-seed0');
    const a = startWorker('a');
    expect((await cli(['compare', LONG, '--queue', redis.url, '--out', out, '--detach'])).status).toBe(0);
    await until('the first checkpoint', () => checkpoints(cell).length > 0);
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(130);
    expect(a.log()).toContain('putting them back to waiting');
    const [job] = await allJobs();
    expect(await job.getState()).toBe('waiting');
    expect(job.attemptsMade).toBe(0);
    expect(fs.existsSync(path.join(cell, 'result.json'))).toBe(false);
    startWorker('b');
    const r = await cli(['compare', LONG, '--queue', redis.url, '--out', out]);
    expect(r.status).toBe(0);
    expect(deterministic(path.join(out, 'compare.json'))).toEqual(expected);
    const [done] = await allJobs();
    expect(done.processedBy).toBe('b');
    // one attempt in all: the one that finished
    expect(done.attemptsMade).toBe(1);
    expect(done.failedReason ?? '').toBe('');
  });

  it('a bad preset exits 2 with nothing enqueued; so does a plugin named by path', async () => {
    const bad = preset('bad', { compare: { searchers: [{ plugin: '@absnas/spos', options: { epochz: 1 } }], seeds: [0] } });
    const r = await cli(['compare', bad, '--queue', redis.url, '--out', path.join(dir, 'bad')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('epochz');
    const byPath = preset('by-path', { compare: { searchers: [{ ...spos(1, 1), plugin: path.join(ROOT, 'plugins/spos') }], seeds: [0], spaces: ['original'] } });
    const p = await cli(['compare', byPath, '--queue', redis.url, '--out', path.join(dir, 'by-path')]);
    expect(p.status).toBe(2);
    expect(p.stderr).toContain('is not a package name');
    expect(await allJobs()).toHaveLength(0);
  });

  it('a worker refuses jobs that name a plugin by path, fail validation or are pinned to other kernels: each fails once, without retries', async () => {
    // a real cell's job, enqueued without a worker, as the template
    const out = path.join(dir, 'refused');
    expect((await cli(['compare', LONG, '--queue', redis.url, '--out', out, '--detach', '--quiet'])).status).toBe(0);
    const [template] = await allJobs();
    await template.remove();
    const marker = path.join(dir, 'evil-ran');
    const evil = path.join(dir, 'evil.js');
    fs.writeFileSync(evil, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran'); module.exports = require(${JSON.stringify(path.join(ROOT, 'plugins/spos'))});`);
    const variant = (name: string, change: (d: CellJobData) => void) => {
      const data = JSON.parse(JSON.stringify(template.data)) as CellJobData;
      data.dir = path.join(out, name);
      change(data);
      return { id: `cell-${name}`, data };
    };
    await addJobs(queue, [
      variant('by-path', (d) => ((d.config.search as { plugin: string }).plugin = evil)),
      variant('by-url', (d) => ((d.config.search as { plugin: string }).plugin = 'https://example.com/evil.js')),
      variant('invalid', (d) => ((d.config.data as { trainSize: number }).trainSize = -5)),
      variant('kernels', (d) => (d.kernels = 'some other kernels')),
    ]);
    startWorker('w');
    await until('four failed jobs', async () => (await queue.getJobCounts('failed')).failed === 4);
    const failed = (await queue.getJobs(['failed'])) as unknown as Job<CellJobData>[];
    const reason = (id: string) => failed.find((j) => j.id === id)!.failedReason;
    expect(reason('cell-by-path')).toContain('is not a package name');
    expect(reason('cell-by-url')).toContain('is not a package name');
    expect(reason('cell-invalid')).toMatch(/trainSize/);
    expect(reason('cell-kernels')).toContain("the matrix is pinned to 'some other kernels'");
    for (const j of failed) expect(j.attemptsMade).toBe(1);
    expect(fs.existsSync(marker)).toBe(false);
    const status = await cli(['queue', 'status', '--queue', redis.url]);
    expect(status.stdout).toContain('4 failed');
    expect(status.stdout).toContain('spos / original / seed 0  [cell-kernels] failed: worker w refuses the job');
  });
});
