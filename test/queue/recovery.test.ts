/**
 * What a distributed matrix survives: a worker's child process killed, and
 * Redis restarted mid-run, with its append-only file or without anything
 * (the coordinator then rebuilds the queue from the results on disk).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { checkpoints, deterministic, events, harness, spos, until } from './helpers';

const h = harness('queue-recovery', { aof: true });
// long enough (20 epochs, a checkpoint after each) that a kill after the first checkpoint lands mid-run even on a
// loaded machine (with 6 epochs the run sometimes finished between the checkpoint and the kill)
const LONG = h.preset('long', { data: { dataset: 'synthetic', trainSize: 512, valSize: 32, testSize: 32 }, compare: { searchers: [spos(20, 2)], seeds: [0], spaces: ['original'] } });
const MATRIX = h.preset('matrix', { compare: { searchers: [spos(1, 2), spos(2, 1)], seeds: [0] } });

describe('a distributed matrix', () => {
  it("survives its worker's child process being killed: one attempt used, the cell resumed, the same result", async () => {
    const expected = deterministic(await h.localCompare(LONG));
    const out = path.join(h.dir, 'child');
    const cell = path.join(out, 'cells/spos-original-seed0');
    const a = h.startWorker('a');
    expect((await h.cli(['compare', LONG, '--queue', h.redis.url, '--out', out, '--detach'])).status).toBe(0);
    await until('the first checkpoint', () => checkpoints(cell).length > 0);
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(a.child.pid)], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    expect(children).toHaveLength(1);
    process.kill(children[0], 'SIGKILL');
    const r = await h.cli(['compare', LONG, '--queue', h.redis.url, '--out', out]);
    expect(r.status).toBe(0);
    expect(deterministic(path.join(out, 'compare.json'))).toEqual(expected);
    await until('the job to be completed', async () => (await h.queue.getJobCounts('completed')).completed === 1);
    const [job] = await h.allJobs();
    expect(job.attemptsMade).toBe(2);
    expect(events(cell).filter((e) => e.event === 'runResume')).toHaveLength(1);
    expect(a.log()).toMatch(/failed \(attempt 1 of 3\): Unexpected exit code/);
  });

  it('completes when Redis restarts mid-run with its append-only file', async () => {
    const expected = deterministic(await h.localCompare(LONG));
    const out = path.join(h.dir, 'aof');
    const cell = path.join(out, 'cells/spos-original-seed0');
    h.startWorker('a', { ABSNAS_QUEUE_LOCK_MS: '5000' });
    expect((await h.cli(['compare', LONG, '--queue', h.redis.url, '--out', out, '--detach'])).status).toBe(0);
    await until('the first checkpoint', () => checkpoints(cell).length > 0);
    await h.redis.restart();
    expect((await h.allJobs()).map((j) => j.data.tag)).toEqual(['spos / original / seed 0']);
    const r = await h.cli(['compare', LONG, '--queue', h.redis.url, '--out', out]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('(0 enqueued by this command)');
    expect(deterministic(path.join(out, 'compare.json'))).toEqual(expected);
  });

  it('loses nothing finished when Redis comes back empty: a coordinator re-run enqueues what has no result, and completes', async () => {
    const expected = deterministic(await h.localCompare(MATRIX));
    const out = path.join(h.dir, 'lost');
    const cells = path.join(out, 'cells');
    h.startWorker('a', { ABSNAS_QUEUE_LOCK_MS: '5000' });
    expect((await h.cli(['compare', MATRIX, '--queue', h.redis.url, '--out', out, '--detach'])).status).toBe(0);
    const done = () => (fs.existsSync(cells) ? fs.readdirSync(cells).filter((c) => fs.existsSync(path.join(cells, c, 'result.json'))).length : 0);
    await until('a first cell', () => done() >= 1);
    // Redis without persistence restarted: the queue is gone
    await h.redis.stop();
    fs.rmSync(path.join(h.dir, 'redis'), { recursive: true, force: true });
    fs.mkdirSync(path.join(h.dir, 'redis'));
    await h.redis.restart();
    expect(await h.allJobs()).toHaveLength(0);
    const r = await h.cli(['compare', MATRIX, '--queue', h.redis.url, '--out', out]);
    expect(r.status).toBe(0);
    const enqueued = Number(/\((\d+) enqueued by this command\)/.exec(r.stderr)?.[1]);
    expect(enqueued).toBeGreaterThan(0);
    expect(enqueued).toBeLessThan(4);
    expect(deterministic(path.join(out, 'compare.json'))).toEqual(expected);
  });

  it("takes over the run lock of an earlier attempt of the same job on another host, by the new attempt's token", async () => {
    const expected = deterministic(await h.localCompare(LONG));
    const out = path.join(h.dir, 'other-host');
    const cell = path.join(out, 'cells/spos-original-seed0');
    expect((await h.cli(['compare', LONG, '--queue', h.redis.url, '--out', out, '--detach', '--quiet'])).status).toBe(0);
    const [job] = await h.allJobs();
    // what a machine that died mid-cell leaves: its lock, naming the job
    fs.mkdirSync(cell, { recursive: true });
    const lock = { pid: 1, host: 'machine-that-died', started: new Date().toISOString(), token: 'dead-worker:0', jobId: job.id };
    fs.writeFileSync(path.join(cell, '.lock'), JSON.stringify(lock));
    h.startWorker('a');
    const r = await h.cli(['compare', LONG, '--queue', h.redis.url, '--out', out]);
    expect(r.status).toBe(0);
    expect(deterministic(path.join(out, 'compare.json'))).toEqual(expected);
    await until('the job to be completed', async () => (await h.queue.getJobCounts('completed')).completed === 1);
    expect((await h.allJobs())[0].attemptsMade).toBe(1);
    expect(fs.existsSync(path.join(cell, '.lock'))).toBe(false);
  });
});
