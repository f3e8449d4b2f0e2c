import * as fs from 'fs';
import * as path from 'path';
import { ConfigError } from '../util/errors';
import { LOCK_FILE } from './lock';
import { ensureDir, isTempFile, withFileErrors, writeFileAtomic, writeJsonAtomic } from '../util/fs';

/** The directory of one run: config, events, artifacts, result and report. */
export class RunDirectory {
  private readonly eventsFile: string;

  constructor(readonly dir: string) {
    ensureDir(dir);
    this.eventsFile = path.join(dir, 'events.jsonl');
  }

  /** A fresh directory under `root` named after the run and the time; a name that is not a plain folder name is refused. */
  static fresh(root: string, name: string): RunDirectory {
    checkRunName(name);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
    let dir = path.join(root, `${name}-${stamp}`);
    for (let i = 2; fs.existsSync(dir); i++) dir = path.join(root, `${name}-${stamp}-${i}`);
    return new RunDirectory(dir);
  }

  /** Whether a run already wrote here (its config, result or checkpoints). */
  holdsRun(): boolean {
    return ['config.json', 'result.json', 'checkpoints'].some((f) => fs.existsSync(this.file(f)));
  }

  /** What the directory holds besides the lock: a fresh run starts only in an empty directory, so nothing of the user's is overwritten. */
  foreignEntries(): string[] {
    return withFileErrors('read the folder', this.dir, () => fs.readdirSync(this.dir)).filter((f) => f !== LOCK_FILE && !isTempFile(f));
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  /** Append one event (with a timestamp) to events.jsonl. */
  emit(event: Record<string, unknown>): void {
    const line = JSON.stringify({ time: new Date().toISOString(), ...event }) + '\n';
    withFileErrors('append to', this.eventsFile, () => fs.appendFileSync(this.eventsFile, line));
  }

  /** Bytes of events.jsonl so far (0 when there is none). */
  eventsBytes(): number {
    try {
      return fs.statSync(this.eventsFile).size;
    } catch {
      return 0;
    }
  }

  /**
   * Cut events.jsonl back to its first `bytes` (what a checkpoint saw: the
   * work after it is done again and says so again), or, without `bytes`, to
   * its last whole line (a kill mid-append leaves a torn one). Returns the
   * bytes dropped.
   */
  truncateEvents(bytes?: number): number {
    const size = this.eventsBytes();
    if (size === 0) return 0;
    let keep = Math.min(bytes ?? size, size);
    const text = withFileErrors('read', this.eventsFile, () => fs.readFileSync(this.eventsFile)).subarray(0, keep);
    keep = text.lastIndexOf(0x0a) + 1; // whole lines only
    if (keep === size) return 0;
    withFileErrors('repair', this.eventsFile, () => fs.truncateSync(this.eventsFile, keep));
    return size - keep;
  }

  writeJson(name: string, value: unknown): void {
    writeJsonAtomic(this.file(name), value);
  }

  writeText(name: string, text: string): void {
    writeFileAtomic(this.file(name), text);
  }
}

/** Longest run name: the folder adds a 20-character time stamp, and file systems allow 255 bytes. */
export const MAX_NAME_LENGTH = 100;

/** A run's name becomes a folder under runs/: letters, digits, '.', '_' and '-' only, so it cannot climb out of runs/. */
export function checkRunName(name: string): void {
  const shown = JSON.stringify(name); // the command line shortens a huge echo (shortenEchoes)
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name)) {
    throw new ConfigError(`/name: ${shown} cannot name a folder under runs/: use letters, digits, '.', '_' and '-' (not starting with '.' or '-'), or give --out`);
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw new ConfigError(`/name: ${shown} is longer than ${MAX_NAME_LENGTH} characters: choose a shorter name, or give --out`);
  }
}
