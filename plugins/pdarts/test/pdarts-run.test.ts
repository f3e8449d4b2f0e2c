/**
 * PDARTS after ABS on a tiny DARTS space (C=2, synthetic 8x8 data), in
 * process: the first stage starts from the ABS-shrunk lists (shared by the
 * normal and reduction cells), the second stage deepens the supernet and
 * mixes only what the first kept, and the final normal cell has at most two
 * skip-connections.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RunDirectory, SilentProgress, assemble, executeRun } from '@absnas/core';
import { tempDir } from '../../../test/e2e/helpers';

const CONFIG = {
  name: 'pdarts-abs-tiny',
  seed: 1,
  backend: 'wasm',
  data: { dataset: 'synthetic', trainSize: 32, valSize: 32, testSize: 32 },
  space: { plugin: '@absnas/space-darts', options: { channels: 2, layers: 2, networkChannels: 4, networkLayers: 3 } },
  shrink: {
    enabled: true,
    metric: { plugin: '@absnas/metric-angle' },
    threshold: 1e22,
    policy: { kind: 'per-choice', count: 1 },
    epochsBeforeFirstRound: 1,
    childrenPerOperator: 2,
    train: { batchSize: 32 },
  },
  search: {
    plugin: '@absnas/pdarts',
    options: {
      stages: [
        { epochs: 1, warmupEpochs: 0, space: { layers: 2 }, keep: 3, skipDropout: 0.3 },
        { epochs: 1, warmupEpochs: 0, space: { layers: 3 }, skipDropout: 0.6 },
      ],
      train: { batchSize: 32 },
      recalibrationBatches: 0,
      evalBatchSize: 32,
    },
  },
};

it('PDARTS starts from the ABS-shrunk lists, deepens, keeps the strongest and limits skip-connections', async () => {
  const dir = tempDir('pdarts-abs');
  const assembly = assemble(JSON.parse(JSON.stringify(CONFIG)), () => 'test');
  const { result } = await executeRun(assembly, new RunDirectory(dir), new SilentProgress());
  const shrunk = JSON.parse(fs.readFileSync(path.join(dir, 'shrunk-space.json'), 'utf8'));
  expect(shrunk.sizeAfter).toBeLessThan(shrunk.sizeBefore);
  for (let e = 0; e < 14; e++) {
    const id = Object.keys(shrunk.candidates)[e];
    expect(shrunk.candidates[id.replace('normal:', 'reduce:')]).toEqual(shrunk.candidates[id]);
    expect(shrunk.candidates[id]).toContain('none');
  }
  const history = JSON.parse(fs.readFileSync(path.join(dir, 'search-history.json'), 'utf8'));
  expect(history.stages.map((s: { space: unknown }) => s.space)).toEqual([{ layers: 2 }, { layers: 3 }]);
  expect(history.stages[0].candidates).toEqual(shrunk.candidates);
  for (const [id, list] of Object.entries(history.stages[1].candidates as Record<string, string[]>)) {
    expect(list.length).toBe(Math.min(3, shrunk.candidates[id].length));
  }
  expect(result.architecture).toMatch(/^Genotype\(/);
  expect(result.metrics.skipConnections).toBeLessThanOrEqual(2);
  expect((result.architecture.split(', normal_concat')[0].match(/skip_connect/g) ?? []).length).toBeLessThanOrEqual(2);
});
