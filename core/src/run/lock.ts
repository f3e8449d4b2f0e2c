/**
 * One run per directory: `<dir>/.lock` names its owner (host, pid, the
 * process's start time, and an optional token and job id). A lock whose
 * process has died, or whose pid now belongs to another process (the start
 * time differs), is stale and taken over; a lock held by a live process, or
 * by another host, is refused with the way to remove it.
 *
 * The record is meant to be extended: `token` and `jobId` are written and
 * read back but not interpreted here, so that a scheduler can recognise its
 * own lock (e.g. to take over a job moved to another host).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from '../util/errors';
import { ensureDir, fileSystemError, processAlive, withFileErrors, writeFileAtomic } from '../util/fs';

/** The directory is locked by a live run (or one on another host): a queue retries such a job later rather than failing it. */
export class RunDirectoryLocked extends UserError {}

/** This process's lock was taken over by a later attempt of its job: the run stops before writing again. */
export class RunLockLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunLockLost';
  }
}

/** What `.lock` holds. */
export interface LockRecord {
  pid: number;
  host: string;
  /** When the lock was taken (ISO time). */
  started: string;
  /** The owner process's start, as the kernel reports it (`<boot id>:<clock ticks>`); absent where it cannot be read. */
  processStart?: string;
  /** An opaque owner token (not interpreted here). */
  token?: string;
  /** The job the owner runs for, e.g. a scheduler's id (not interpreted here). */
  jobId?: string;
}

export interface LockOptions {
  token?: string;
  jobId?: string;
  /** Told when a stale lock is taken over. */
  note?: (message: string) => void;
}

export const LOCK_FILE = '.lock';

/**
 * When process `pid` started, as `<boot id>:<start time in clock ticks>`
 * from /proc (Linux); undefined where that cannot be read. Two processes
 * that got the same pid differ here.
 */
export function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: count fields after its last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = fields[19]; // field 22, starttime
    let boot = '';
    try {
      boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      // no boot id: the ticks alone still tell reused pids apart within one boot
    }
    return ticks ? `${boot}:${ticks}` : undefined;
  } catch {
    return undefined;
  }
}

/** Why the lock's owner no longer holds it (dead, or its pid reused), or undefined while it does. */
function staleness(owner: Partial<LockRecord>): string | undefined {
  if (!owner.pid) return 'it names no process';
  if (!processAlive(owner.pid)) return `process ${owner.pid} is no longer running`;
  if (owner.processStart) {
    const now = processStart(owner.pid);
    if (now !== undefined && now !== owner.processStart) return `pid ${owner.pid} now belongs to another process`;
  }
  return undefined;
}

/** An exclusive claim on a run directory (see the module comment); release() gives it up. */
export class RunLock {
  private constructor(
    readonly file: string,
    readonly record: LockRecord,
  ) {}

  /** The record of the lock in `dir`, or undefined when there is none (or it is unreadable: its writer died while writing it). */
  static read(dir: string): Partial<LockRecord> | undefined {
    try {
      const v = JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'));
      return v && typeof v === 'object' ? v : {};
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : {};
    }
  }

  static acquire(dir: string, options: LockOptions = {}): RunLock {
    const file = path.join(dir, LOCK_FILE);
    ensureDir(dir);
    const record: LockRecord = {
      pid: process.pid,
      host: os.hostname(),
      started: new Date().toISOString(),
      processStart: processStart(process.pid),
      ...(options.token !== undefined ? { token: options.token } : {}),
      ...(options.jobId !== undefined ? { jobId: options.jobId } : {}),
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      if (tryCreate(file, JSON.stringify(record) + '\n')) return new RunLock(file, record);
      const owner = RunLock.read(dir) ?? {};
      // a later attempt of the same queue job: the queue gave the job to this process, so the earlier holder has lost it, wherever it runs
      if (options.jobId !== undefined && options.token !== undefined && owner.jobId === options.jobId && owner.token !== options.token) {
        options.note?.(`taking over the lock of ${dir} from an earlier attempt of job ${owner.jobId} (process ${owner.pid ?? '?'} on ${owner.host ?? '?'})`);
        writeFileAtomic(file, JSON.stringify(record) + '\n');
        return new RunLock(file, record);
      }
      const remove = `if no absnas run is using ${dir}, remove ${file}`;
      if (owner.host && owner.host !== os.hostname()) {
        throw new RunDirectoryLocked(`run directory ${dir} is locked by process ${owner.pid} on host ${owner.host} (since ${owner.started ?? 'an unknown time'}); ${remove}`);
      }
      const stale = staleness(owner);
      if (!stale) {
        throw new RunDirectoryLocked(
          `run directory ${dir} is in use by process ${owner.pid} (locked since ${owner.started ?? 'an unknown time'}): ` +
            `wait for it to finish or stop it; ${remove}`,
        );
      }
      options.note?.(`taking over the lock of ${dir}: ${stale}`);
      withFileErrors('remove the stale lock', file, () => fs.rmSync(file, { force: true }));
    }
    throw new UserError(`could not lock run directory ${dir}: another process took it at the same time; try again`);
  }

  /**
   * Throws RunLockLost when a later attempt of this lock's job has taken it
   * over (its token is in the file now): called before each checkpoint, so
   * the earlier holder stops instead of writing beside the new one.
   */
  check(): void {
    if (this.record.token === undefined) return;
    const now = RunLock.read(path.dirname(this.file));
    if (now?.token !== this.record.token) {
      throw new RunLockLost(
        `${this.file}: taken over by token ${now?.token ?? '(none)'} on ${now?.host ?? 'an unknown host'} (a later attempt of job ${this.record.jobId ?? '?'}); this attempt stops`,
      );
    }
  }

  /** Remove the lock, unless another process has taken it over meanwhile (it is theirs then). */
  release(): void {
    const now = RunLock.read(path.dirname(this.file));
    if (now && (now.pid !== this.record.pid || now.host !== this.record.host || now.started !== this.record.started || now.token !== this.record.token)) return;
    fs.rmSync(this.file, { force: true });
  }
}

/** Take a lock on `dir` for this process (see RunLock). */
export function acquireRunLock(dir: string, options: LockOptions = {}): RunLock {
  return RunLock.acquire(dir, options);
}

/** Create `file` with `text` if it does not exist; false if it does. A half-written lock is removed. */
function tryCreate(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fileSystemError(e, 'create the lock', file) ?? e;
  }
  try {
    const bytes = Buffer.from(text, 'utf8');
    if (fs.writeSync(fd, bytes) !== bytes.length) {
      throw Object.assign(new Error('short write'), { code: 'ENOSPC', path: file });
    }
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw fileSystemError(e, 'write the lock', file) ?? e;
  }
  fs.closeSync(fd);
  return true;
}
