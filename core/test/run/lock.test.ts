import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { acquireRunLock, processStart, RunLock } from '../../src/run/lock';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-lock-'));
const lockFile = (dir: string): string => path.join(dir, '.lock');
const writeLock = (dir: string, record: Record<string, unknown>): void => fs.writeFileSync(lockFile(dir), JSON.stringify(record));
/** A pid that was just used and has exited. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid as number;

describe('run lock', () => {
  it('records host, pid, the process start, token and job id, and releases', () => {
    const dir = tmp();
    const lock = acquireRunLock(dir, { token: 't-1', jobId: 'job-7' });
    const record = JSON.parse(fs.readFileSync(lockFile(dir), 'utf8'));
    expect(record).toMatchObject({ pid: process.pid, host: os.hostname(), token: 't-1', jobId: 'job-7' });
    if (process.platform === 'linux') expect(record.processStart).toBe(processStart(process.pid));
    lock.release();
    expect(fs.existsSync(lockFile(dir))).toBe(false);
  });

  it('refuses a live owner on this host, says how to remove the lock and does not suggest --out', () => {
    const dir = tmp();
    const held = acquireRunLock(dir);
    expect(() => acquireRunLock(dir)).toThrow(/in use by process \d+.*remove .*\.lock/);
    try {
      acquireRunLock(dir);
    } catch (e) {
      expect(String(e)).not.toMatch(/--out/);
    }
    held.release();
  });

  it('refuses a lock of another host, naming the file to remove', () => {
    const dir = tmp();
    writeLock(dir, { pid: 1, host: 'elsewhere.example', started: '2026-01-01T00:00:00Z' });
    expect(() => acquireRunLock(dir)).toThrow(/locked by process 1 on host elsewhere\.example.*remove .*\.lock/);
  });

  it('takes over the lock of a dead process', () => {
    const dir = tmp();
    writeLock(dir, { pid: deadPid(), host: os.hostname() });
    const notes: string[] = [];
    const lock = acquireRunLock(dir, { note: (m) => notes.push(m) });
    expect(notes.join()).toMatch(/no longer running/);
    expect(RunLock.read(dir)?.pid).toBe(process.pid);
    lock.release();
  });

  (process.platform === 'linux' ? it : it.skip)('takes over a lock whose pid now belongs to another process (start time differs)', () => {
    const dir = tmp();
    // this very process is alive, but the lock says its process started at another time: the pid was reused
    writeLock(dir, { pid: process.pid, host: os.hostname(), processStart: 'another-boot:1' });
    const notes: string[] = [];
    const lock = acquireRunLock(dir, { note: (m) => notes.push(m) });
    expect(notes.join()).toMatch(/now belongs to another process/);
    lock.release();
  });

  it('release leaves a lock that another process took over meanwhile', () => {
    const dir = tmp();
    const lock = acquireRunLock(dir);
    writeLock(dir, { pid: 4242, host: 'elsewhere.example', started: '2026-01-01T00:00:00Z' });
    lock.release();
    expect(RunLock.read(dir)?.pid).toBe(4242);
  });

  it('takes over a torn (empty) lock file', () => {
    const dir = tmp();
    fs.writeFileSync(lockFile(dir), '{"pid": 12');
    const lock = acquireRunLock(dir);
    expect(RunLock.read(dir)?.pid).toBe(process.pid);
    lock.release();
  });
});
