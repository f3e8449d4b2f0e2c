import { assemble, executeRun, RunDirectory, SilentProgress, tf } from '@absnas/core';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, tempDir } from './helpers';

describe('tensor memory', () => {
  it('holds the same number of tensors after epoch 2 and epoch 5', async () => {
    const raw = JSON.parse(fs.readFileSync(path.join(ROOT, 'presets/quickstart.json'), 'utf8'));
    raw.data = { dataset: 'mnist', trainSize: 128, valSize: 32, testSize: 32 };
    raw.shrink.epochsBeforeFirstRound = 6;
    raw.shrink.train = { batchSize: 32, stepsPerEpoch: 2 };
    raw.search.options = { epochs: 0, evolution: { population: 2, iterations: 1, topK: 1, crossovers: 1, mutations: 1 }, recalibrationBatches: 1, evalBatchSize: 32 };
    const assembly = assemble(raw, () => 'memory.test');
    const counts = new Map<number, number>();
    assembly.hooks.tap('onEpochEnd', 'memory-probe', (e) => void (e.phase === 'shrink' && counts.set(e.epoch, tf.memory().numTensors)));
    const dir = tempDir('memory');
    await executeRun(assembly, new RunDirectory(dir), new SilentProgress());
    expect(counts.get(2)).toBeDefined();
    expect(counts.get(5)).toBe(counts.get(2));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
