import * as fs from 'fs';
import * as path from 'path';
import { ensureDir, withFileErrors, writeFileAtomic, writeJsonAtomic } from '../util/fs';

/** The directory of one run: config, events, artifacts, result and report. */
export class RunDirectory {
  private readonly eventsFile: string;

  constructor(readonly dir: string) {
    ensureDir(dir);
    this.eventsFile = path.join(dir, 'events.jsonl');
  }

  /** A fresh directory under `root` named after the run and the time. */
  static fresh(root: string, name: string): RunDirectory {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
    let dir = path.join(root, `${name}-${stamp}`);
    for (let i = 2; fs.existsSync(dir); i++) dir = path.join(root, `${name}-${stamp}-${i}`);
    return new RunDirectory(dir);
  }

  /** Whether a run already wrote here (its config, result or checkpoints). */
  holdsRun(): boolean {
    return ['config.json', 'result.json', 'checkpoints'].some((f) => fs.existsSync(this.file(f)));
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  /** Append one event (with a timestamp) to events.jsonl. */
  emit(event: Record<string, unknown>): void {
    const line = JSON.stringify({ time: new Date().toISOString(), ...event }) + '\n';
    withFileErrors('append to', this.eventsFile, () => fs.appendFileSync(this.eventsFile, line));
  }

  writeJson(name: string, value: unknown): void {
    writeJsonAtomic(this.file(name), value);
  }

  writeText(name: string, text: string): void {
    writeFileAtomic(this.file(name), text);
  }
}
