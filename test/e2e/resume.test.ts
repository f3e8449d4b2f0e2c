import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CLI, ROOT, runCli, tempDir } from './helpers';

/** A small run with several epochs and evolution iterations, so there are many moments to be killed at. */
const SMALL = [
  'data.trainSize=384',
  'data.valSize=64',
  'data.testSize=64',
  'shrink.epochsBeforeFirstRound=2',
  'shrink.train.batchSize=32',
  'search.options.epochs=2',
  'search.options.train.batchSize=32',
  'search.options.evolution={"population":4,"iterations":3,"topK":2,"crossovers":2,"mutations":2}',
  'search.options.recalibrationBatches=1',
  'search.options.evalBatchSize=64',
].flatMap((s) => ['--set', s]);

function start(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  child.stdout?.resume();
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  return { child, done };
}

const checkpointsOf = (dir: string): string[] =>
  fs.existsSync(path.join(dir, 'checkpoints')) ? fs.readdirSync(path.join(dir, 'checkpoints')) : [];

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('kill and resume', () => {
  const reference = tempDir('ref');
  let referenceResult: string;
  let referenceMs = 0;

  beforeAll(() => {
    const began = Date.now();
    const r = runCli(['run', 'presets/quickstart.json', ...SMALL, '--out', reference, '--quiet']);
    referenceMs = Date.now() - began;
    expect(r.stderr).toBe('');
    referenceResult = fs.readFileSync(path.join(reference, 'result.json'), 'utf8');
  });

  // fixed "random moments": fractions of an uninterrupted run's time, after the first checkpoint appears
  it.each([0, 0.25, 0.5])('SIGKILL at %f of a run after the first checkpoint, then --resume, gives the uninterrupted result', async (fraction) => {
    const delay = Math.round(fraction * referenceMs);
    const dir = tempDir(`kill-${fraction}`);
    const { child, done } = start(['run', 'presets/quickstart.json', ...SMALL, '--out', dir, '--quiet']);
    await waitFor(() => checkpointsOf(dir).length > 0, 60000);
    await new Promise((r) => setTimeout(r, delay));
    child.kill('SIGKILL');
    const killed = await done;
    if (killed.code === 0 || fs.existsSync(path.join(dir, 'result.json'))) {
      // the kill landed after the result was written (the run was finishing its reports):
      // still a valid, if weaker, case
      expect(fs.readFileSync(path.join(dir, 'result.json'), 'utf8')).toBe(referenceResult);
      return;
    }
    const resumed = runCli(['run', '--resume', dir, '--quiet']);
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'result.json'), 'utf8')).toBe(referenceResult);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('SIGINT saves a checkpoint, exits 130 with the resume command, and resumes to the same result', async () => {
    const dir = tempDir('sigint');
    const { child, done } = start(['run', 'presets/quickstart.json', ...SMALL, '--out', dir, '--quiet']);
    await waitFor(() => checkpointsOf(dir).length > 0, 60000);
    child.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted by SIGINT; checkpoint saved: .*checkpoint-\d+\.ckpt/);
    expect(r.stderr).toContain(`resume with: absnas run --resume ${dir}`);
    const resumed = runCli(['run', '--resume', dir, '--quiet']);
    expect(resumed.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'result.json'), 'utf8')).toBe(referenceResult);
  });

  it('a second run into a busy directory is refused; a finished directory is not overwritten', async () => {
    const dir = tempDir('busy');
    // long enough to be still running on a fast machine when the second run starts (it is killed)
    const long = ['--set', 'shrink.epochsBeforeFirstRound=50'];
    const { child, done } = start(['run', 'presets/quickstart.json', ...SMALL, ...long, '--out', dir, '--quiet']);
    await waitFor(() => fs.existsSync(path.join(dir, '.lock')), 60000);
    const second = runCli(['run', 'presets/quickstart.json', ...SMALL, '--out', dir, '--quiet']);
    expect(second.status).toBe(2);
    expect(second.stderr).toMatch(/is in use by process \d+/);
    child.kill('SIGKILL');
    await done;
    // the dead run's lock does not block its resume, but a fresh run may not reuse the directory
    const fresh = runCli(['run', 'presets/quickstart.json', ...SMALL, '--out', dir, '--quiet']);
    expect(fresh.status).toBe(2);
    expect(fresh.stderr).toMatch(/already holds a run: resume it with --resume/);
  });

  it('refuses a corrupted checkpoint with a clear message and changes nothing', () => {
    const dir = tempDir('corrupt');
    const ok = runCli(['run', 'presets/quickstart.json', ...SMALL, '--set', 'search.options.epochs=0', '--out', dir, '--quiet']);
    expect(ok.status).toBe(0);
    fs.rmSync(path.join(dir, 'result.json'));
    const ckdir = path.join(dir, 'checkpoints');
    for (const f of fs.readdirSync(ckdir)) fs.writeFileSync(path.join(ckdir, f), 'garbage');
    const before = fs.readdirSync(dir).map((f) => [f, fs.statSync(path.join(dir, f)).mtimeMs]);
    const r = runCli(['run', '--resume', dir, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/checkpoint .*checkpoint-\d+\.ckpt: (not an absnas checkpoint|truncated)/);
    expect(fs.readdirSync(dir).map((f) => [f, fs.statSync(path.join(dir, f)).mtimeMs])).toEqual(before);
  });

  afterAll(() => fs.rmSync(reference, { recursive: true, force: true }));
});

describe('numerical guard', () => {
  it('stops on a non-finite loss, naming the epoch, the step and the last checkpoint', () => {
    const dir = tempDir('nan');
    const r = runCli([
      'run', 'presets/quickstart.json', ...SMALL,
      '--set', 'shrink.train.learningRate=1e30', '--set', 'shrink.train.gradientClip=0', '--set', 'shrink.train.momentum=0',
      '--out', dir, '--quiet',
    ]);
    expect(r.status).toBe(3);
    // a resume would replay the same step: the hint says what to change instead
    expect(r.stderr).toContain('a resume with the same config repeats this step: start a new run (--out) with a lower learning rate');
    expect(r.stderr).not.toContain('resume with: absnas run --resume');
    expect(r.stderr).toMatch(/shrink epoch \d+, step \d+: the loss is (NaN|Infinity|-Infinity); stopped before applying this step \(last good checkpoint: /);
    expect(fs.existsSync(path.join(dir, 'result.json'))).toBe(false);
  });
});
