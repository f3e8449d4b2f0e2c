import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'core/dist/cli/main.js');

/** A tiny NB201 search with ProxylessNAS; `beta` is the weight of the FLOPs regulariser. */
function search(seed: number, regularizer: Record<string, unknown>, dir: string): { flops: number; arch: string } {
  const preset = path.join(dir, `p-${seed}-${JSON.stringify(regularizer).replace(/\W/g, '')}.json`);
  fs.writeFileSync(
    preset,
    JSON.stringify({
      name: 'proxyless-test',
      seed,
      data: { dataset: 'synthetic', trainSize: 256, valSize: 128, testSize: 32 },
      space: { plugin: '@absnas/space-nb201', options: { channels: 4, cellsPerStage: 1 } },
      shrink: { enabled: false },
      search: {
        plugin: '@absnas/proxylessnas',
        options: {
          epochs: 4,
          warmupEpochs: 1,
          train: { batchSize: 32 },
          arch: { learningRate: 0.05, batchSize: 32 },
          target: { metric: 'flops', value: 2e5 },
          regularizer,
          recalibrationBatches: 1,
          evalBatchSize: 32,
        },
      },
    }),
  );
  const out = path.join(dir, path.basename(preset, '.json'));
  const r = spawnSync(process.execPath, [CLI, 'run', preset, '--out', out, '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8'));
  return { flops: result.cost.flops, arch: result.architecture };
}

describe('ProxylessNAS FLOPs regulariser', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-proxyless-'));

  it.each([0, 1])('a heavier FLOPs weight finds a cheaper architecture (seed %i)', (seed) => {
    const free = search(seed, { kind: 'mul#log', alpha: 0.2, beta: 0 }, dir);
    const pressed = search(seed, { kind: 'mul#log', alpha: 0.2, beta: 8 }, dir);
    console.log(`seed ${seed}: beta 0 -> ${free.flops} FLOPs ${free.arch}; beta 8 -> ${pressed.flops} FLOPs ${pressed.arch}`);
    expect(pressed.flops).toBeLessThan(free.flops);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
});
