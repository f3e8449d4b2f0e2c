/**
 * Progress of long work: a single updating line on a terminal, plain
 * occasional lines otherwise (CI logs), nothing when silenced.
 */
export interface Progress {
  /** Start a task of `total` steps; returns a handle to advance it. */
  start(label: string, total: number): ProgressTask;
  /** A line of ordinary output. */
  log(message: string): void;
}

export interface ProgressTask {
  tick(steps?: number, detail?: string): void;
  done(detail?: string): void;
}

export class ConsoleProgress implements Progress {
  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly interactive = Boolean(process.stderr.isTTY),
  ) {}

  log(message: string): void {
    this.stream.write(message + '\n');
  }

  start(label: string, total: number): ProgressTask {
    const began = Date.now();
    let done = 0;
    let lastPrint = 0;
    const render = (detail = '', final = false): void => {
      const now = Date.now();
      if (!final && now - lastPrint < (this.interactive ? 100 : 10000)) return;
      lastPrint = now;
      const frac = total > 0 ? Math.min(done / total, 1) : 1;
      const width = 24;
      const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
      const secs = (now - began) / 1000;
      const eta = frac > 0 && !final ? ` eta ${Math.round((secs / frac) * (1 - frac))}s` : '';
      const line = `${label} [${bar}] ${done}/${total} ${secs.toFixed(1)}s${eta}${detail ? ' ' + detail : ''}`;
      if (this.interactive) this.stream.write(`\r\x1b[K${line}${final ? '\n' : ''}`);
      else this.stream.write(line + '\n');
    };
    return {
      tick: (steps = 1, detail?: string) => {
        done += steps;
        render(detail);
      },
      done: (detail?: string) => {
        done = total;
        render(detail, true);
      },
    };
  }
}

export class SilentProgress implements Progress {
  log(): void {}
  start(): ProgressTask {
    return { tick: () => undefined, done: () => undefined };
  }
}
