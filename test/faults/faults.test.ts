/**
 * Faults a run must survive or refuse clearly: a full disk, read-only
 * folders, kills inside writes, torn and wrong-type files, stale and foreign
 * locks, and input that once ended in a stack. Every case ends with the
 * uninterrupted run's result.json, or with one line and exit 2 and nothing
 * renamed into place half-written. The quickstart at TINY settings: seconds
 * per case.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCheckpoint } from '../../core/src/checkpoint/format';
import { processStart } from '../../core/src/run/lock';
import { CLI, ROOT, runCli, TINY, tempDir } from '../e2e/helpers';

const PRESET = path.join(ROOT, 'presets/quickstart.json');

/** The CLI with an environment of its own (a fault to inject), in `cwd`. */
function cli(args: string[], env: Record<string, string> = {}, cwd = ROOT): { status: number | null; signal: NodeJS.Signals | null; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', ...env } });
  return { status: r.status, signal: r.signal, stderr: r.stderr };
}

const run = (out: string, env: Record<string, string> = {}, more: string[] = []): ReturnType<typeof cli> =>
  cli(['run', PRESET, ...TINY, ...more, '--out', out, '--quiet'], env);
const resume = (dir: string, env: Record<string, string> = {}): ReturnType<typeof cli> => cli(['run', '--resume', dir, '--quiet'], env);

/** A refusal: exit 2, one line naming what is wrong, no stack, no "internal error". */
function expectRefusal(r: ReturnType<typeof cli>, pattern: RegExp): void {
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.status).toBe(2);
}

/** Every file under `dir` (relative paths). */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)));
}

/** No temp file left, and every checkpoint in place reads back whole (checksum). */
function expectNothingHalfWritten(dir: string): void {
  const files = filesUnder(dir);
  expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  for (const f of files.filter((f) => f.endsWith('.ckpt'))) expect(() => readCheckpoint(path.join(dir, f))).not.toThrow();
  for (const f of files.filter((f) => f.endsWith('.json'))) expect(() => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))).not.toThrow();
}

/** A tmpfs mounted at `dir` (root only), or false where mounting is not allowed. */
function mountTmpfs(dir: string, options: string): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  return spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status === 0;
}
const unmount = (dir: string): void => void spawnSync('umount', [dir]);

describe('faults', () => {
  const reference = tempDir('faults-ref');
  let referenceResult: string;
  let referenceHistory: { training: { epoch: number; loss: number }[] };
  const onlyLosses = (h: { training: { epoch: number; loss: number }[] }): unknown => h.training.map(({ epoch, loss }) => ({ epoch, loss }));

  beforeAll(() => {
    const r = run(reference);
    expect(r.stderr).toBe('');
    referenceResult = fs.readFileSync(path.join(reference, 'result.json'), 'utf8');
    referenceHistory = JSON.parse(fs.readFileSync(path.join(reference, 'search-history.json'), 'utf8'));
  });
  afterAll(() => fs.rmSync(reference, { recursive: true, force: true }));

  /** A copy of the finished reference run, to be damaged and resumed. */
  const copyOfReference = (name: string): string => {
    const dir = path.join(tempDir(name), 'run');
    fs.cpSync(reference, dir, { recursive: true });
    return dir;
  };
  const expectReferenceResult = (dir: string): void => expect(fs.readFileSync(path.join(dir, 'result.json'), 'utf8')).toBe(referenceResult);

  describe('full disk', () => {
    it('an injected ENOSPC in a checkpoint write: one line naming the file, nothing half-written, then resume ends with the result', () => {
      const dir = path.join(tempDir('enospc'), 'run');
      const r = run(dir, { ABSNAS_FAULT: 'enospc@checkpoint-#2' });
      expectRefusal(r, /cannot write .*checkpoint-000002\.ckpt \(ENOSPC\): the disk is full/);
      expectNothingHalfWritten(dir);
      expect(fs.existsSync(path.join(dir, 'checkpoints', 'checkpoint-000002.ckpt'))).toBe(false);
      const resumed = resume(dir);
      expect(resumed.stderr).toBe('');
      expectReferenceResult(dir);
    });

    it('a real full tmpfs (where one can be mounted): a refusal, never a truncated file in place', () => {
      const mount = tempDir('tmpfs');
      if (!mountTmpfs(mount, 'size=600k')) return void console.log('faults: no tmpfs could be mounted; the injected ENOSPC case covers the full disk');
      try {
        const dir = path.join(mount, 'run');
        const r = run(dir);
        expectRefusal(r, /\(ENOSPC\): the disk is full/);
        expectNothingHalfWritten(dir);
      } finally {
        unmount(mount);
      }
    });
  });

  describe('unwritable folders', () => {
    it('a read-only file system (EROFS on the lock), and --out ro/sub: a refusal naming the path', () => {
      const mount = tempDir('rofs');
      let ro = mount;
      const mounted = mountTmpfs(mount, 'ro,size=64k');
      if (!mounted) {
        if (process.getuid?.() === 0) return void console.log('faults: running as root without mount: chmod cannot make a folder read-only');
        fs.chmodSync(mount, 0o555);
        ro = mount;
      }
      try {
        expectRefusal(run(ro), mounted ? /cannot create the lock .*\.lock \(EROFS\): the file system is read-only/ : /\.lock \(EACCES\): permission denied/);
        expectRefusal(run(path.join(ro, 'sub')), mounted ? /cannot create the folder .*sub \(EROFS\)/ : /cannot create the folder .*sub \(EACCES\)/);
        expectRefusal(cli(['export', reference, '--out', path.join(ro, 'sub', 'model')]), mounted ? /sub \(EROFS\)/ : /sub \(EACCES\)/);
      } finally {
        if (mounted) unmount(mount);
        else fs.chmodSync(mount, 0o755);
      }
    });
  });

  describe('kills inside writes', () => {
    it.each(['kill-after-write', 'kill-after-fsync'])('%s of a checkpoint: the temp file is removed on resume, which ends with the result', (fault) => {
      const dir = path.join(tempDir(fault), 'run');
      const r = run(dir, { ABSNAS_FAULT: `${fault}@checkpoint-#3` });
      expect(r.signal).toBe('SIGKILL');
      const temps = filesUnder(dir).filter((f) => f.endsWith('.tmp'));
      expect(temps).toHaveLength(1);
      expect(fs.existsSync(path.join(dir, 'checkpoints', 'checkpoint-000003.ckpt'))).toBe(false);
      const resumed = resume(dir);
      expect(resumed.stderr).toBe('');
      expect(filesUnder(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expectReferenceResult(dir);
    });

    it('a kill while writing result.json, after the last search epoch: the resumed run keeps its training history, logs the evolution once, and adds up its wall time', () => {
      const dir = path.join(tempDir('kill-result'), 'run');
      const killed = run(dir, { ABSNAS_FAULT: 'kill-after-fsync@result.json' });
      expect(killed.signal).toBe('SIGKILL');
      expect(resume(dir).stderr).toBe('');
      expectReferenceResult(dir);
      const history = JSON.parse(fs.readFileSync(path.join(dir, 'search-history.json'), 'utf8'));
      expect(history.training.length).toBeGreaterThan(0);
      expect(onlyLosses(history)).toEqual(onlyLosses(referenceHistory));
      const events = fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(events.filter((e) => e.event === 'evolution')).toHaveLength(1);
      // the wall time adds the first segment's work up to its last checkpoint (after its last kept event) to the second's
      const at = (e: { time: string }): number => Date.parse(e.time) / 1000;
      const resumedAt = events.findIndex((e) => e.event === 'runResume');
      const firstWork = at(events[resumedAt - 1]) - at(events[0]);
      const end = events.find((e) => e.event === 'runEnd');
      const secondSegment = at(end) - at(events[resumedAt]);
      expect(firstWork).toBeGreaterThan(0.2);
      expect(end.seconds.total - secondSegment).toBeGreaterThan(0.75 * firstWork);
      expect(end.seconds.shrink).toBeGreaterThan(0);
      expect(end.seconds.total).toBeGreaterThanOrEqual(end.seconds.shrink);
    });
  });

  describe('torn and wrong-type files', () => {
    it('a torn last line of events.jsonl is dropped on resume (of a finished run); it ends with the result, its training history and report.html', () => {
      const dir = copyOfReference('torn');
      fs.appendFileSync(path.join(dir, 'events.jsonl'), '{"time":"2026-01-01T00:00:00Z","event":"ep');
      fs.rmSync(path.join(dir, 'report.html'));
      const r = resume(dir);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expectReferenceResult(dir);
      expect(fs.existsSync(path.join(dir, 'report.html'))).toBe(true);
      for (const line of fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8').trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
      const history = JSON.parse(fs.readFileSync(path.join(dir, 'search-history.json'), 'utf8'));
      expect(onlyLosses(history)).toEqual(onlyLosses(referenceHistory));
    });

    it('checkpoints/ a file, or events.jsonl a folder: a refusal naming the path and what to do', () => {
      const a = copyOfReference('wrong-type-a');
      const b = copyOfReference('wrong-type-b');
      fs.rmSync(path.join(a, 'checkpoints'), { recursive: true });
      fs.writeFileSync(path.join(a, 'checkpoints'), 'not a folder');
      expectRefusal(resume(a), /checkpoints \(ENOTDIR\): a part of the path is a file where a folder was expected: move that file away/);
      fs.rmSync(path.join(b, 'events.jsonl'));
      fs.mkdirSync(path.join(b, 'events.jsonl'));
      expectRefusal(resume(b), /events\.jsonl \(EISDIR\): it is a folder where a file was expected: move that folder away/);
    });
  });

  describe('locks', () => {
    let sleeper: ReturnType<typeof spawn>;
    beforeAll(() => {
      sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    });
    afterAll(() => void sleeper.kill());
    const lockOf = (pid: number): Record<string, unknown> => ({ pid, host: os.hostname(), started: new Date().toISOString() });

    it('a stale lock whose pid now belongs to an unrelated live process is taken over by --resume', () => {
      const dir = copyOfReference('reused-pid');
      // a dead run's lock, as if its pid had been given to `sleep` since: the process start differs
      fs.writeFileSync(path.join(dir, '.lock'), JSON.stringify({ ...lockOf(sleeper.pid as number), processStart: 'an-earlier-boot:12345' }));
      const r = resume(dir);
      expect(r.stderr).toBe('');
      expectReferenceResult(dir);
    });

    (process.platform === 'linux' ? it : it.skip)('a live owner refuses --resume, says how to remove the lock, and does not suggest --out', () => {
      const dir = copyOfReference('live-owner');
      fs.writeFileSync(path.join(dir, '.lock'), JSON.stringify({ ...lockOf(sleeper.pid as number), processStart: processStart(sleeper.pid as number) }));
      const r = resume(dir);
      expectRefusal(r, new RegExp(`in use by process ${sleeper.pid} .*remove .*\\.lock`));
      expect(r.stderr).not.toContain('--out');
    });

    it('a lock of another host is refused with the file to remove', () => {
      const dir = copyOfReference('foreign-host');
      fs.writeFileSync(path.join(dir, '.lock'), JSON.stringify({ pid: 4242, host: `not-${os.hostname()}`, started: '2026-01-01T00:00:00Z' }));
      expectRefusal(resume(dir), /locked by process 4242 on host not-.*remove .*\.lock/);
    });
  });

  describe('input refused before anything is created', () => {
    it("a folder of the user's that holds no run is not written to", () => {
      const dir = tempDir('users-folder');
      fs.writeFileSync(path.join(dir, 'report.html'), 'mine');
      expectRefusal(run(dir), /is not empty and holds no absnas run \(report\.html\): choose an empty or new --out/);
      expect(fs.readdirSync(dir)).toEqual(['report.html']);
      expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toBe('mine');
    });

    it.each([
      ['trainSize larger than the dataset', ['data.trainSize=100000'], /trainSize|training images/],
      ['trainSize smaller than the batch size', ['data.trainSize=16'], /\/shrink\/train\/batchSize: 32 is larger than the training split \(16 images\)/],
      ['a space too large for memory', ['space.options.channels=100000000'], /\/space\/options: the supernet of space .* would hold up to .* parameters/],
      ['an architecture batch larger than the validation split (DARTS)', ['shrink.enabled=false', 'search={"plugin":"@absnas/darts","options":{"epochs":1,"train":{"batchSize":32}}}', 'data.valSize=16'], /\/search\/options\/train\/batchSize: 32 is larger than the validation split \(16 images\)/],
    ])('%s: a refusal, and --out is not created', (_what, sets, pattern) => {
      const dir = path.join(tempDir('preflight'), 'run');
      expectRefusal(run(dir, {}, sets.flatMap((s) => ['--set', s])), pattern);
      expect(fs.existsSync(dir)).toBe(false);
    });

    it('a name that climbs out of runs/, or is 300 characters long, is refused and nothing is written', () => {
      const cwd = tempDir('names');
      for (const name of ['../../x', 'x'.repeat(300)]) {
        const r = cli(['run', PRESET, ...TINY, '--set', `name=${name}`, '--quiet'], {}, cwd);
        expectRefusal(r, /\/name: .*(cannot name a folder under runs\/|longer than 100 characters)/);
      }
      expect(fs.readdirSync(cwd)).toEqual([]);
      expect(fs.existsSync(path.resolve(cwd, '../../x'))).toBe(false);
    });

    it('1e400 is named as too large, and a huge architecture string is not echoed whole', () => {
      expectRefusal(run(path.join(tempDir('big-number'), 'run'), {}, ['--set', 'seed=1e400']), /--set seed=1e400: 1e400 is beyond the largest number/);
      const huge = `|${'x'.repeat(80000)}~0|`;
      const r = cli(['train', huge, '--space', '@absnas/space-nb201', '--out', path.join(tempDir('huge-arch'), 'run')]);
      expectRefusal(r, /\.\.\. \(80007 characters\)/);
      expect(r.stderr.length).toBeLessThan(1000);
    });
  });
});
