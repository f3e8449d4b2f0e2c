/**
 * End to end on webgpu: `absnas run` with `backend: 'webgpu'` (ABS shrinking
 * with the angle metric, then SPOS; second-order DARTS after ABS; and
 * ProxylessNAS after ABS) on a tiny NB201 supernet (C=2, N=1) over synthetic
 * 8x8 data. The run reads tensors only asynchronously, which is all that Dawn
 * allows in Node. The first shrinking epoch's loss is checked against the
 * same run on wasm (for ProxylessNAS also the first search epoch's loss,
 * which follows an architecture step, and the architecture weights).
 * Runs in the webgpu pass of CI (ABSNAS_BACKEND=webgpu, lavapipe): a few
 * seconds per step at most there.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runCli, tempDir, tinyNb201Config } from '../../../test/e2e/helpers';
import { BACKEND_UNDER_TEST } from './helpers';

const ON_WEBGPU = BACKEND_UNDER_TEST === 'webgpu';
if (!ON_WEBGPU) {
  console.log(`webgpu-run.test.ts: skipped: the backend under test is ${BACKEND_UNDER_TEST} (set ABSNAS_BACKEND=webgpu to run it)`);
}
const webgpuTest: jest.It = ON_WEBGPU ? test : test.skip;

const TINY = tinyNb201Config({ images: 32, batchSize: 8, epochsBeforeFirstRound: 1 });

const SEARCHES: Record<string, unknown> = {
  'ABS + SPOS': TINY.search,
  'ABS + DARTS (second order)': {
    plugin: '@absnas/darts',
    options: { epochs: 1, order: 2, train: { batchSize: 8, stepsPerEpoch: 2 }, recalibrationBatches: 1, evalBatchSize: 16 },
  },
  // no warm-up: both steps of the one epoch are followed by an architecture step
  'ABS + ProxylessNAS': {
    plugin: '@absnas/proxylessnas',
    options: {
      epochs: 1,
      warmupEpochs: 0,
      train: { batchSize: 8, stepsPerEpoch: 2 },
      arch: { batchSize: 8 },
      target: { value: 30000 },
      recalibrationBatches: 1,
      evalBatchSize: 16,
    },
  },
};

interface Run {
  result: { architecture: string; metrics: Record<string, number>; shrink: { sizeAfter: number } };
  events: Record<string, unknown>[];
}

function run(dir: string, backend: string, search: unknown): Run {
  const config = path.join(dir, `${backend}.json`);
  fs.writeFileSync(config, JSON.stringify({ ...TINY, backend, search }));
  const out = path.join(dir, backend);
  const r = runCli(['run', config, '--out', out, '--quiet']);
  if (r.status !== 0) throw new Error(`absnas run on ${backend} exited with ${r.status}: ${r.stderr.trim().split('\n').slice(-5).join('\n')}`);
  return {
    result: JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8')),
    events: fs.readFileSync(path.join(out, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)),
  };
}

const firstLoss = (r: Run, phase: 'shrink' | 'search'): number =>
  r.events.find((e) => e.event === 'epoch' && e.phase === phase && e.epoch === 1)?.loss as number;
const firstShrinkLoss = (r: Run): number => firstLoss(r, 'shrink');
const alphaOf = (r: Run): number[] => (r.events.find((e) => e.event === 'architectureWeights')?.alpha as number[][]).flat();

describe('absnas run on webgpu', () => {
  webgpuTest.each(Object.keys(SEARCHES))(
    '%s runs end to end and trains as on wasm',
    (name) => {
      const dir = tempDir('webgpu-run');
      try {
        const gpu = run(dir, 'webgpu', SEARCHES[name]);
        expect(gpu.events.find((e) => e.event === 'runStart')?.backend).toBe('webgpu');
        expect(gpu.result.shrink.sizeAfter).toBeLessThan(15625);
        expect(gpu.result.architecture).toMatch(/^\|.*\|$/);
        for (const v of Object.values(gpu.result.metrics)) expect(Number.isFinite(v)).toBe(true);
        const cpu = run(dir, 'wasm', SEARCHES[name]);
        expect(Math.abs(firstShrinkLoss(gpu) - firstShrinkLoss(cpu))).toBeLessThan(1e-3 * Math.abs(firstShrinkLoss(cpu)));
        if (name === 'ABS + ProxylessNAS') {
          expect(gpu.result.metrics.archSteps).toBe(2);
          expect(Math.abs(firstLoss(gpu, 'search') - firstLoss(cpu, 'search'))).toBeLessThan(1e-3 * Math.abs(firstLoss(cpu, 'search')));
          // alpha moves by about the learning rate (1e-3) per step: 1e-5 tells a wrong gate gradient apart
          const [a, b] = [alphaOf(gpu), alphaOf(cpu)];
          expect(a.length).toBe(b.length);
          a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThan(1e-5));
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    300000,
  );
});
