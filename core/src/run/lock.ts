import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from '../util/errors';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An exclusive claim on a run directory: a `.lock` file holding the owner's
 * pid. A lock whose process has died is taken over, so a killed run never
 * blocks its own resume.
 */
export class RunLock {
  private constructor(private readonly file: string) {}

  static acquire(dir: string, note: (message: string) => void = () => undefined): RunLock {
    const file = path.join(dir, '.lock');
    fs.mkdirSync(dir, { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = fs.openSync(file, 'wx');
        fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), started: new Date().toISOString() }) + '\n');
        fs.closeSync(fd);
        return new RunLock(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      let owner: { pid?: number; host?: string; started?: string } = {};
      try {
        owner = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch {
        // an empty or torn lock file: its writer died while writing it
      }
      const sameHost = !owner.host || owner.host === os.hostname();
      if (owner.pid && sameHost && alive(owner.pid)) {
        throw new UserError(`run directory ${dir} is in use by process ${owner.pid} (started ${owner.started ?? 'at an unknown time'}); choose another --out`);
      }
      if (!sameHost) {
        throw new UserError(`run directory ${dir} is locked by process ${owner.pid} on host ${owner.host}; remove ${file} if that run is gone`);
      }
      note(`taking over the lock of ${dir} from process ${owner.pid ?? '?'}, which is no longer running`);
      fs.rmSync(file, { force: true });
    }
    throw new UserError(`could not lock run directory ${dir}`);
  }

  release(): void {
    fs.rmSync(this.file, { force: true });
  }
}
