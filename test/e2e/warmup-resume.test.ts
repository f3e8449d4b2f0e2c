import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CLI, ROOT, runCli, tempDir } from './helpers';

/**
 * The ABS DARTS reference protocol (cifar10-darts-abs-mini) interrupted in
 * its warm-up, which grows the supernet cell by cell with a fresh optimizer
 * per stage, resumes to the uninterrupted result: the stage, its depth and
 * its optimizer's schedule come back from the checkpoint.
 */
const TINY = [
  'data={"dataset":"synthetic","trainSize":128,"valSize":64,"testSize":32}',
  'space.options.channels=2',
  'shrink.space.channels=2',
  'shrink.warmup.epochsPerStage=3',
  'shrink.train.stepsPerEpoch=2',
  'shrink.train.batchSize=16',
  'shrink.childrenPerOperator=4',
  'search.options.epochs=1',
  'search.options.train.stepsPerEpoch=1',
  'search.options.train.batchSize=16',
  'search.options.recalibrationBatches=1',
  'search.options.evalBatchSize=32',
].flatMap((s) => ['--set', s]);
const ARGS = ['run', 'presets/paper/cifar10-darts-abs-mini.json', ...TINY];

const eventsOf = (dir: string): { event: string; phase?: string }[] => {
  const file = path.join(dir, 'events.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().endsWith('}'))
    .map((l) => JSON.parse(l));
};
const shrinkEpochs = (dir: string): number => eventsOf(dir).filter((e) => e.event === 'epoch' && e.phase === 'shrink').length;

describe('kill and resume in the progressive warm-up', () => {
  const reference = tempDir('warmup-ref');
  let referenceResult: string;

  beforeAll(() => {
    const r = runCli([...ARGS, '--out', reference, '--quiet']);
    expect(r.stderr).toBe('');
    referenceResult = fs.readFileSync(path.join(reference, 'result.json'), 'utf8');
  });

  afterAll(() => fs.rmSync(reference, { recursive: true, force: true }));

  // after epoch 1 (inside the first stage) and after epoch 3 (the first stage done)
  it.each([1, 3])('SIGINT after %i warm-up epoch(s), then --resume, gives the uninterrupted result', async (epochs) => {
    const dir = tempDir(`warmup-${epochs}`);
    const child = spawn(process.execPath, [CLI, ...ARGS, '--out', dir, '--quiet'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    const done = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const end = Date.now() + 60000;
    while (shrinkEpochs(dir) < epochs) {
      if (Date.now() > end) throw new Error('timed out waiting for the warm-up epochs');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGINT');
    expect(await done).toBe(130);
    // still in the warm-up: 2 stages of 3 epochs, W0 not taken yet
    expect(shrinkEpochs(dir)).toBeLessThan(6);
    expect(eventsOf(dir).some((e) => e.event === 'shrinkBase')).toBe(false);
    const resumed = runCli(['run', '--resume', dir, '--quiet']);
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'result.json'), 'utf8')).toBe(referenceResult);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
