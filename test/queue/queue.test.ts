/**
 * absnas across machines against a real redis-server: workers as separate
 * processes, the coordinator as the CLI, and each result checked against
 * the local `absnas compare` of the same preset.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { addJobs, type CellJobData } from '@absnas/queue';
import { TINY_RANKING_SETTINGS } from '../e2e/helpers';
import { checkpoints, deterministic, events, harness, REDIS_PASSWORD, ROOT, spos, until } from './helpers';

const h = harness('queue');
const { dir } = h;
// two searchers x both spaces: the ABS cells wait for their seed's shrunk space
const MATRIX = h.preset('matrix', { compare: { searchers: [spos(1, 2), spos(2, 1)], seeds: [0] } });
// one cell of several epochs: long enough to be stopped after its first checkpoint
const LONG = h.preset('long', { data: { dataset: 'synthetic', trainSize: 512, valSize: 32, testSize: 32 }, compare: { searchers: [spos(6, 2)], seeds: [0], spaces: ['original'] } });
const preset = h.preset;

describe('absnas compare --queue', () => {
  it('with two workers writes the table of the local compare; run again, it enqueues nothing', async () => {
    const expected = deterministic(await h.localCompare(MATRIX));
    const w1 = h.startWorker('w1');
    const w2 = h.startWorker('w2');
    const out = path.join(dir, 'matrix');
    const r = await h.cli(['compare', MATRIX, '--queue', h.redis.url, '--out', out]);
    // the three ready cells; the fourth (spos-2 / abs) is enqueued by whichever sees its shrunk space first:
    // the worker that wrote it (its job's `then`) or this command (the job id is the same, so never twice)
    expect(r.stderr).toMatch(/\((3|4) enqueued by this command\)/);
    expect(r.status).toBe(0);
    expect(deterministic(path.join(out, 'compare.json'))).toEqual(expected);
    expect(fs.readFileSync(path.join(out, 'compare.md'), 'utf8')).toContain(`Computed by: ${expected.computedBy[0]}`);
    expect(fs.existsSync(path.join(out, 'report.html'))).toBe(true);
    await until('the jobs to be completed', async () => (await h.queue.getJobCounts('completed')).completed === 4);
    const jobs = await h.allJobs();
    expect(jobs.map((j) => j.data.tag).sort()).toEqual(['spos / abs / seed 0', 'spos / original / seed 0', 'spos-2 / abs / seed 0', 'spos-2 / original / seed 0']);
    for (const j of jobs) expect(['w1', 'w2']).toContain(j.processedBy);
    expect(jobs.every((j) => j.finishedOn && !j.failedReason)).toBe(true);

    const status = await h.cli(['queue', 'status', '--queue', h.redis.url]);
    expect(status.status).toBe(0);
    expect(status.stdout).toContain('matrix matrix: 4 done, 0 running, 0 waiting, 0 failed');
    expect(status.stdout).toMatch(/2 worker\(s\) connected: (w1, w2|w2, w1)/);

    const again = await h.cli(['compare', MATRIX, '--queue', h.redis.url, '--out', out]);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('(0 enqueued by this command)');
    expect((await h.allJobs()).length).toBe(4);

    // the password appears nowhere: not in logs, not in the run directories
    const written = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? written(path.join(d, e.name)) : [path.join(d, e.name)]));
    const texts = [r.stdout, r.stderr, again.stderr, status.stdout, w1.log(), w2.log(), ...written(out).filter((f) => !f.endsWith('.ckpt')).map((f) => fs.readFileSync(f, 'utf8'))];
    expect(texts.some((t) => t.includes(REDIS_PASSWORD))).toBe(false);
    expect(r.stderr).toContain(`redis://:***@127.0.0.1:${h.redis.port}/0`);
  });

  it('a worker killed (SIGKILL, its process group) after a checkpoint: another resumes the cell, with the same result', async () => {
    const expected = deterministic(await h.localCompare(LONG));
    const out = path.join(dir, 'killed');
    const cell = path.join(out, 'cells/spos-original-seed0');
    const a = h.startWorker('a');
    const enq = await h.cli(['compare', LONG, '--queue', h.redis.url, '--out', out, '--detach']);
    expect(enq.status).toBe(0);
    expect(enq.stderr).toContain('enqueued 1 job(s)');
    await until('the first checkpoint', () => checkpoints(cell).length > 0);
    process.kill(-a.child.pid!, 'SIGKILL');
    await a.exited;
    expect(fs.existsSync(path.join(cell, 'result.json'))).toBe(false);
    const b = h.startWorker('b');
    const r = await h.cli(['compare', LONG, '--queue', h.redis.url, '--out', out]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('(0 enqueued by this command)');
    expect(events(cell).filter((e) => e.event === 'runResume')).toHaveLength(1);
    expect(deterministic(path.join(out, 'compare.json'))).toEqual(expected);
    const [job] = await h.allJobs();
    expect(job.processedBy).toBe('b');
    // the result is on disk before the worker logs the job done: wait for the line, not for the result
    await until("the worker's done line", () => b.log().includes('spos / original / seed 0: done'));
  });

  it('SIGTERM: the worker checkpoints, the job goes back to waiting with no attempt used, and finishes elsewhere', async () => {
    const expected = deterministic(await h.localCompare(LONG));
    const out = path.join(dir, 'sigterm');
    const cell = path.join(out, 'cells/spos-original-seed0');
    const a = h.startWorker('a');
    expect((await h.cli(['compare', LONG, '--queue', h.redis.url, '--out', out, '--detach'])).status).toBe(0);
    await until('the first checkpoint', () => checkpoints(cell).length > 0);
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(130);
    expect(a.log()).toContain('putting them back to waiting');
    const [job] = await h.allJobs();
    expect(await job.getState()).toBe('waiting');
    expect(job.attemptsMade).toBe(0);
    expect(fs.existsSync(path.join(cell, 'result.json'))).toBe(false);
    h.startWorker('b');
    const r = await h.cli(['compare', LONG, '--queue', h.redis.url, '--out', out]);
    expect(r.status).toBe(0);
    expect(deterministic(path.join(out, 'compare.json'))).toEqual(expected);
    // the result is on disk before the worker marks the job completed
    await until('the job to be completed', async () => (await h.queue.getJobCounts('completed')).completed === 1);
    const [done] = await h.allJobs();
    expect(done.processedBy).toBe('b');
    // one attempt in all: the one that finished
    expect(done.attemptsMade).toBe(1);
    expect(done.failedReason ?? '').toBe('');
  });

  it('a second SIGTERM stops the worker and the process of its job at once', async () => {
    const out = path.join(dir, 'sigterm-twice');
    const cell = path.join(out, 'cells/spos-original-seed0');
    const a = h.startWorker('a');
    expect((await h.cli(['compare', LONG, '--queue', h.redis.url, '--out', out, '--detach', '--quiet'])).status).toBe(0);
    await until('the first checkpoint', () => checkpoints(cell).length > 0);
    const [child] = execFileSync('ps', ['-o', 'pid=', '--ppid', String(a.child.pid)], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    // the second signal goes the moment the first is acknowledged, long before the job has checkpointed and gone back
    let sent = false;
    a.child.stderr!.on('data', () => {
      if (!sent && a.log().includes('again to stop at once')) {
        sent = true;
        a.child.kill('SIGTERM');
      }
    });
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(130);
    expect(a.log()).toContain('SIGTERM again: stopping at once');
    const alive = () => {
      try {
        process.kill(child, 0);
        return true;
      } catch {
        return false;
      }
    };
    await until("the job's process to end", () => !alive(), 10_000);
    expect(fs.existsSync(path.join(cell, 'result.json'))).toBe(false);
  });

  it('a bad preset exits 2 with nothing enqueued; so does a plugin named by path', async () => {
    const bad = preset('bad', { compare: { searchers: [{ plugin: '@absnas/spos', options: { epochz: 1 } }], seeds: [0] } });
    const r = await h.cli(['compare', bad, '--queue', h.redis.url, '--out', path.join(dir, 'bad')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('epochz');
    const byPath = preset('by-path', { compare: { searchers: [{ ...spos(1, 1), plugin: path.join(ROOT, 'plugins/spos') }], seeds: [0], spaces: ['original'] } });
    const p = await h.cli(['compare', byPath, '--queue', h.redis.url, '--out', path.join(dir, 'by-path')]);
    expect(p.status).toBe(2);
    expect(p.stderr).toContain('is not a package name');
    expect(await h.allJobs()).toHaveLength(0);
  });

  it('a worker refuses jobs that name a plugin by path, fail validation or are pinned to other kernels, and stops one whose loss diverges: each fails once, without retries', async () => {
    // a real cell's job, enqueued without a worker, as the template
    const out = path.join(dir, 'refused');
    expect((await h.cli(['compare', LONG, '--queue', h.redis.url, '--out', out, '--detach', '--quiet'])).status).toBe(0);
    const [template] = await h.allJobs();
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
    await addJobs(h.queue, [
      variant('by-path', (d) => ((d.config.search as { plugin: string }).plugin = evil)),
      variant('by-url', (d) => ((d.config.search as { plugin: string }).plugin = 'https://example.com/evil.js')),
      variant('invalid', (d) => ((d.config.data as { trainSize: number }).trainSize = -5)),
      variant('kernels', (d) => (d.kernels = 'some other kernels')),
      variant('diverges', (d) => ((d.config.search as { options: { train: { learningRate: number } } }).options.train.learningRate = 1e30)),
    ]);
    // a Redis that may evict keys: the worker warns
    const client = new Redis({ host: '127.0.0.1', port: h.redis.port, password: REDIS_PASSWORD });
    await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const w = h.startWorker('w');
    await until('five failed jobs', async () => (await h.queue.getJobCounts('failed')).failed === 5);
    const failed = (await h.queue.getJobs(['failed'])) as unknown as Job<CellJobData>[];
    const reason = (id: string) => failed.find((j) => j.id === id)!.failedReason;
    expect(reason('cell-by-path')).toContain('is not a package name');
    expect(reason('cell-by-url')).toContain('is not a package name');
    expect(reason('cell-invalid')).toMatch(/trainSize/);
    expect(reason('cell-kernels')).toContain("the matrix is pinned to 'some other kernels'");
    expect(reason('cell-diverges')).toMatch(/the loss is NaN.*\(exit 3\)/s);
    for (const j of failed) expect(j.attemptsMade).toBe(1);
    expect(fs.existsSync(marker)).toBe(false);
    expect(w.log()).toContain("warning: Redis's maxmemory-policy is 'allkeys-lru'");
    await client.config('SET', 'maxmemory-policy', 'noeviction');
    await client.quit();
    const status = await h.cli(['queue', 'status', '--queue', h.redis.url]);
    expect(status.stdout).toContain('5 failed');
    expect(status.stdout).toContain('spos / original / seed 0  [cell-kernels] failed: worker w refuses the job');
    // mended and retried: back to waiting with its attempts reset, and (the worker unchanged) it fails again, once
    const retried = await h.cli(['queue', 'retry', '--queue', h.redis.url, 'cell-kernels']);
    expect(retried.stdout).toBe('put 1 failed job(s) back to waiting: spos / original / seed 0\n');
    await until('the retried job to fail again', async () => (await h.queue.getJob('cell-kernels'))?.finishedOn !== failed.find((j) => j.id === 'cell-kernels')!.finishedOn && (await h.queue.getJobCounts('failed')).failed === 5);
    expect((await h.queue.getJob('cell-kernels'))!.attemptsMade).toBe(1);
    const cancelled = await h.cli(['queue', 'cancel', '--queue', h.redis.url, '--all']);
    expect(cancelled.stdout).toMatch(/^cancelled 5 job\(s\)/);
    expect(await h.allJobs()).toHaveLength(0);
    expect((await h.cli(['queue', 'cancel', '--queue', h.redis.url])).stderr).toContain('name the jobs (ids), --matrix <name> or --all');
  });

  it('absnas rank --queue: one job per seed, the ranking of the local run', async () => {
    const settings = [...TINY_RANKING_SETTINGS.filter((x) => !x.startsWith('rank.seeds')), 'rank.seeds=[0,1]'].flatMap((x) => ['--set', x]);
    const file = path.join(ROOT, 'presets/paper/nb201-ranking-mini.json');
    const localOut = path.join(dir, 'rank-local');
    expect((await h.cli(['rank', file, ...settings, '--out', localOut, '--quiet'])).status).toBe(0);
    h.startWorker('w1');
    h.startWorker('w2');
    const out = path.join(dir, 'rank-queue');
    const r = await h.cli(['rank', file, ...settings, '--queue', h.redis.url, '--out', out]);
    expect(r.stderr).toContain('(2 enqueued by this command)');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Kendall tau-b against');
    // timings aside, the same ranking
    const untimed = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'), (k, v) => (['seconds', 'secondsPerChild'].includes(k) ? undefined : v));
    expect(untimed(path.join(out, 'ranking.json'))).toEqual(untimed(path.join(localOut, 'ranking.json')));
    for (const f of ['ranking.md', 'ranking.csv', 'tau.svg']) expect(fs.existsSync(path.join(out, f))).toBe(true);
    expect((await h.allJobs()).map((j) => j.data.tag).sort()).toEqual(['nb201-ranking-mini / seed 0', 'nb201-ranking-mini / seed 1']);
  });
});
