/**
 * DARTS end to end on a tiny NAS-Bench-201 supernet with synthetic data:
 * through the CLI (second order), and in process: interrupted after the
 * first epoch and resumed, it ends exactly where an uninterrupted run ends.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Interruption, Nb201Benchmark, RunDirectory, RunInterrupted, SilentProgress, assemble, executeRun } from '@absnas/core';
import { ROOT, runCli, tempDir } from '../../../test/e2e/helpers';

const TINY = {
  name: 'nb201-darts-tiny',
  seed: 0,
  backend: 'wasm',
  data: { dataset: 'synthetic', trainSize: 32, valSize: 32, testSize: 32 },
  space: { plugin: '@absnas/space-nb201', options: { channels: 4, cellsPerStage: 1 } },
  shrink: { enabled: false },
  search: {
    plugin: '@absnas/darts',
    options: { epochs: 2, order: 2, train: { batchSize: 32 }, recalibrationBatches: 1, evalBatchSize: 32 },
  },
};

describe('DARTS on NAS-Bench-201 (C=4, N=1, synthetic 8x8)', () => {
  it('runs through the CLI and writes the found cell, its numbers and the epoch history', () => {
    const dir = tempDir('darts-cli');
    const preset = path.join(dir, 'preset.json');
    fs.writeFileSync(preset, JSON.stringify(TINY));
    const out = path.join(dir, 'run');
    const r = runCli(['run', preset, '--out', out, '--quiet'], ROOT);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8'));
    expect(result.searcher).toBe('darts');
    expect(result.architecture).toMatch(/^\|[a-z_0-9]+~0\|\+\|[a-z_0-9]+~0\|[a-z_0-9]+~1\|\+\|[a-z_0-9]+~0\|[a-z_0-9]+~1\|[a-z_0-9]+~2\|$/);
    expect(result.metrics.order).toBe(2);
    expect(result.metrics.valAccuracySupernet).toBeGreaterThanOrEqual(0);
    expect(result.metrics.testAccuracyInherited).toBeGreaterThanOrEqual(0);
    const history = JSON.parse(fs.readFileSync(path.join(out, 'search-history.json'), 'utf8'));
    expect(history.epochs).toHaveLength(2);
    expect(history.probabilities.every((row: number[]) => Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-9)).toBe(true);
    const events = fs.readFileSync(path.join(out, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events.filter((e) => e.event === 'bilevelEpoch')).toHaveLength(2);
    // the found cell is an entry of the benchmark (when the table is here)
    expect(Nb201Benchmark.load().has(result.architecture)).toBe(true);
  });

  it('resumes exactly after an interruption', async () => {
    const run = async (dir: string, interruptAfterEpoch?: number, resume = false): Promise<unknown> => {
      const assembly = assemble(JSON.parse(JSON.stringify(TINY)), () => 'test');
      const interruption = new Interruption();
      if (interruptAfterEpoch !== undefined) {
        assembly.hooks.tap('onEpochEnd', 'test', (e) => {
          if (e.phase === 'search' && e.epoch === interruptAfterEpoch) interruption.request('test');
        });
      }
      const outcome = await executeRun(assembly, new RunDirectory(dir), new SilentProgress(), { interruption, resume });
      return outcome.result;
    };
    const reference = await run(tempDir('darts-ref'));
    const dir = tempDir('darts-resume');
    await expect(run(dir, 1)).rejects.toBeInstanceOf(RunInterrupted);
    expect(fs.readdirSync(path.join(dir, 'checkpoints')).length).toBeGreaterThan(0);
    expect(await run(dir, undefined, true)).toEqual(reference);
  });
});
