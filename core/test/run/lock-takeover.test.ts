/**
 * A queue job's lock on its run directory: a later attempt of the same job
 * takes it over by its new token (from another host too), and the holder of
 * the older token stops at its next checkpoint and leaves the new lock alone.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { acquireRunLock, RunDirectoryLocked, RunLock } from '../../src/run/lock';

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-lock-'));

describe("a queue job's run lock", () => {
  it('is taken over by a later attempt of the same job, even one on another host', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, '.lock'), JSON.stringify({ pid: 1, host: 'machine-that-died', started: new Date().toISOString(), token: 'w1:1', jobId: 'cell-0123456789abcdef' }));
    const notes: string[] = [];
    const lock = acquireRunLock(dir, { token: 'w2:7', jobId: 'cell-0123456789abcdef', note: (m) => notes.push(m) });
    expect(notes.join('\n')).toMatch(/taking over .* from an earlier attempt of job cell-0123456789abcdef \(process 1 on machine-that-died\)/);
    expect(RunLock.read(dir)).toMatchObject({ token: 'w2:7', jobId: 'cell-0123456789abcdef', host: os.hostname(), pid: process.pid });
    lock.release();
    expect(RunLock.read(dir)).toBeUndefined();
  });

  it('stops its earlier holder at its next check, whose release then leaves the new lock in place', () => {
    const dir = tempDir();
    const first = acquireRunLock(dir, { token: 'w1:1', jobId: 'cell-a' });
    expect(() => first.check()).not.toThrow();
    const second = acquireRunLock(dir, { token: 'w2:1', jobId: 'cell-a' });
    expect(() => first.check()).toThrow(/taken over by token w2:1/);
    first.release();
    expect(RunLock.read(dir)?.token).toBe('w2:1');
    expect(() => second.check()).not.toThrow();
    second.release();
    expect(RunLock.read(dir)).toBeUndefined();
  });

  it("is refused to another job, and to the same job's own token, while its holder lives", () => {
    const dir = tempDir();
    const held = acquireRunLock(dir, { token: 'w1:1', jobId: 'cell-a' });
    expect(() => acquireRunLock(dir, { token: 'w2:1', jobId: 'cell-b' })).toThrow(RunDirectoryLocked);
    expect(() => acquireRunLock(dir, { token: 'w1:1', jobId: 'cell-a' })).toThrow(RunDirectoryLocked);
    expect(() => acquireRunLock(dir)).toThrow(RunDirectoryLocked);
    held.release();
  });
});
