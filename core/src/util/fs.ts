/**
 * Files written so that a crash, a full disk or an unwritable folder never
 * leaves one half-written in place: a temp file named after the host and the
 * process, every byte counted, fsync, then rename. A file system error the
 * machine or the user causes becomes a FileSystemError (a UserError, exit 2)
 * that names the path and what to do.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from './errors';

/** What to do about each error code a user or the machine can cause. */
const ADVICE: Record<string, string> = {
  ENOSPC: 'the disk is full: free some space (or choose another --out) and run again',
  EDQUOT: 'the disk quota is exceeded: free some space (or choose another --out) and run again',
  EROFS: 'the file system is read-only: choose a writable folder',
  EACCES: 'permission denied: choose a folder you can write to, or change its permissions',
  EPERM: 'operation not permitted: choose a folder you can write to, or change its permissions',
  ENAMETOOLONG: 'the name is too long: choose a shorter name or folder',
  ENOTDIR: 'a part of the path is a file where a folder was expected: move that file away',
  EISDIR: 'it is a folder where a file was expected: move that folder away',
  EEXIST: 'something else is already there: move it away',
  EMFILE: 'too many open files: raise the limit (ulimit -n) and run again',
  EIO: 'an input/output error from the device: check the disk',
};

/** A file system error with its path and what to do about it: one line, exit 2. */
export class FileSystemError extends UserError {
  constructor(
    message: string,
    readonly code: string,
    readonly file: string,
  ) {
    super(message);
  }
}

/**
 * `e` as a FileSystemError when it is a file system error a user or the
 * machine can cause (a full disk, a read-only or foreign folder, ...);
 * otherwise undefined. `what` says what was being done ("write", "create
 * the folder"); `file` overrides the error's own path.
 */
export function fileSystemError(e: unknown, what?: string, file?: string): FileSystemError | undefined {
  if (e instanceof FileSystemError) return e;
  const err = e as NodeJS.ErrnoException;
  const code = err?.code;
  if (typeof code !== 'string' || !(code in ADVICE)) return undefined;
  const where = file ?? err.path ?? '(unknown path)';
  const action = what ?? err.syscall ?? 'access';
  return new FileSystemError(`cannot ${action} ${where} (${code}): ${ADVICE[code]}`, code, where);
}

/** Do `f`; a file system error it throws becomes a FileSystemError (see fileSystemError). */
export function withFileErrors<T>(what: string, file: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw fileSystemError(e, what, file) ?? e;
  }
}

/**
 * Create `dir` and its parents. When that fails, the first component that
 * cannot be made is named with its own error (recursive mkdir reports a
 * read-only parent as ENOENT on some systems).
 */
export function ensureDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    return;
  } catch (e) {
    const parts: string[] = [];
    for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) parts.unshift(d);
    for (const d of parts) {
      try {
        fs.mkdirSync(d);
      } catch (inner) {
        throw fileSystemError(inner, 'create the folder', d) ?? inner;
      }
    }
    if (!fs.statSync(dir).isDirectory()) throw fileSystemError(Object.assign(new Error(), { code: 'ENOTDIR' }), 'create the folder', dir);
    throw fileSystemError(e, 'create the folder', dir) ?? e;
  }
}

/** The host part of temp names: no path separators or dots. */
const HOST = os.hostname().replace(/[^A-Za-z0-9_-]/g, '_') || 'host';

/** The temp file that `writeFileAtomic` writes before renaming it to `file`: `.<name>.<host>.<pid>.tmp`. */
export function tempFileFor(file: string, pid = process.pid): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${HOST}.${pid}.tmp`);
}

/**
 * The pid of a temp file that writeFileAtomic on this host left: named
 * `.<name>.<host>.<pid>.tmp`, or `.<name>.<pid>.tmp` by earlier versions
 * (recognised by the extension of the file it was for).
 */
function tempFilePid(name: string): number | undefined {
  const ours = new RegExp(`^\\..+\\.${HOST}\\.(\\d+)\\.tmp$`).exec(name);
  const older = /^\..+\.(?:ckpt|json|jsonl|md|html|csv|bin)\.(\d+)\.tmp$/.exec(name);
  const m = ours ?? older;
  return m ? Number(m[1]) : undefined;
}

/** Whether `name` is a temp file that an atomic write on this host left (by this process or another). */
export function isTempFile(name: string): boolean {
  return tempFilePid(name) !== undefined;
}

/** Whether process `pid` exists on this host (one we may not signal counts). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the temp files in `dir` that writes of dead processes on this host
 * left behind (a kill between write and rename); returns their paths. Temp
 * files of other hosts, and of live processes, are left alone.
 */
export function removeStaleTempFiles(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = tempFilePid(name);
    if (pid === undefined || pid === process.pid || processAlive(pid)) continue;
    const file = path.join(dir, name);
    try {
      if (fs.lstatSync(file).isFile()) {
        fs.rmSync(file);
        removed.push(file);
      }
    } catch {
      // gone already, or not ours to remove: leave it
    }
  }
  return removed;
}

/*
 * Fault injection for tests: ABSNAS_FAULT=<fault>@<name part>[#<n>] makes the
 * n-th (default first) atomic write of a file whose name contains <name part>
 * fail so: `enospc` (the write stops short, as on a full disk), `kill-after-write`
 * (SIGKILL between write and fsync), `kill-after-fsync` (SIGKILL between fsync
 * and rename). Unset, it costs one environment lookup per write.
 */
let faultCount = 0;
function injectedFault(file: string): string | undefined {
  const spec = process.env.ABSNAS_FAULT;
  if (!spec) return undefined;
  const m = /^([a-z-]+)@([^#]*)(?:#(\d+))?$/.exec(spec);
  if (!m || !path.basename(file).includes(m[2])) return undefined;
  faultCount++;
  return faultCount === Number(m[3] ?? 1) ? m[1] : undefined;
}

/** Write all of `data` at the file's current position; a short write that makes no progress is a full disk. */
function writeAll(fd: number, data: Uint8Array, file: string, fault: string | undefined): void {
  let done = 0;
  while (done < data.length) {
    // an injected full disk writes half, then nothing more
    const limit = fault === 'enospc' ? Math.min(data.length, Math.floor(data.length / 2)) : data.length;
    const n = done < limit ? fs.writeSync(fd, data, done, limit - done) : 0;
    if (n <= 0) throw Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), { code: 'ENOSPC', syscall: 'write', path: file });
    done += n;
  }
}

/**
 * Write a file atomically: a temp file in the same directory (named after
 * this host and process), every byte checked, fsync, rename. On failure the
 * temp file is removed and the old file (if any) is left as it was.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  ensureDir(path.dirname(file));
  const tmp = tempFileFor(file);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fault = injectedFault(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w');
    writeAll(fd, bytes, tmp, fault);
    if (fault === 'kill-after-write') process.kill(process.pid, 'SIGKILL');
    fs.fsyncSync(fd);
    if (fault === 'kill-after-fsync') process.kill(process.pid, 'SIGKILL');
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing: the first error is the one to report
      }
    }
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // removing it is a courtesy: the error to report is the write's
    }
    throw fileSystemError(e, 'write', file) ?? e;
  }
}

/** The values of a JSON-lines file, in order (none when it does not exist); a line that does not parse (torn by a kill mid-append) is skipped. */
export function readJsonLines(file: string): Record<string, unknown>[] {
  if (!fs.existsSync(file)) return [];
  return withFileErrors('read', file, () => fs.readFileSync(file, 'utf8'))
    .split('\n')
    .flatMap((line) => {
      try {
        return line.trim() ? [JSON.parse(line) as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}
