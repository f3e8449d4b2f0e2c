import { applyOverrides, assemble, ConfigError, executeRun, loadPreset, RunDirectory, SilentProgress } from '@absnas/core';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const PRESETS = path.resolve(__dirname, '../../../presets/paper');

/** The mini preset's components and rules at a budget of seconds, on synthetic 8x8 data. */
const TINY = [
  'data={"dataset":"synthetic","trainSize":64,"valSize":32,"testSize":32}',
  'space.options.widthMultiplier=0.1',
  'space.options.minFeatureSize=2',
  'space.options.maxFlops=0',
  'shrink.threshold=1e13',
  'shrink.epochsBeforeFirstRound=1',
  'shrink.epochsPerRound=1',
  'shrink.childrenPerOperator=2',
  'shrink.train.batchSize=16',
  'shrink.train.stepsPerEpoch=1',
  'search.options.epochs=1',
  'search.options.maxFlops=0',
  'search.options.train.batchSize=16',
  'search.options.train.stepsPerEpoch=1',
  'search.options.evolution={"population":3,"iterations":2,"topK":2,"crossovers":1,"mutations":2}',
  'search.options.recalibrationBatches=1',
  'search.options.evalBatchSize=32',
];

describe('ABS + FairNAS over the FairNAS space (cifar10-fairnas-abs-mini at a tiny budget)', () => {
  it('drops one operator per layer per round (equal counts), then trains fairly and finds a child', async () => {
    const preset = loadPreset(path.join(PRESETS, 'cifar10-fairnas-abs-mini.json'));
    const { raw, origin } = applyOverrides(preset.raw, TINY, preset.origin);
    const assembly = assemble(raw, origin);
    expect(assembly.space.name).toBe('mobilenet-fairnas');
    expect(assembly.searcher.name).toBe('fairnas');
    let searchEpochs = 0;
    assembly.hooks.tap('onEpochEnd', 'probe', (e) => void (e.phase === 'search' && searchEpochs++));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-mb-fair-'));
    try {
      const { result, shrink } = await executeRun(assembly, new RunDirectory(dir), new SilentProgress());
      // 6^19 -> 5^19 (1.9e13) -> 4^19 (2.7e11) <= 1e13
      expect(shrink?.rounds.map((r) => r.sizeAfter)).toEqual([5 ** 19, 4 ** 19]);
      expect(Object.values(result.shrink.candidates).every((l) => l.length === 4)).toBe(true);
      const ops = result.architecture.split(',');
      expect(ops).toHaveLength(19);
      ops.forEach((op, i) => expect(result.shrink.candidates[`layer${i}`]).toContain(op));
      expect(searchEpochs).toBe(1);
      expect(result.metrics.supernetEpochs).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is refused for a cell space, at assembly', () => {
    const raw = {
      space: { plugin: '@absnas/space-nb201', options: {} },
      shrink: { enabled: false },
      search: { plugin: '@absnas/fairnas', options: {} },
    };
    expect(() => assemble(raw, () => 'test')).toThrow(ConfigError);
    expect(() => assemble(raw, () => 'test')).toThrow(/searcher 'fairnas' works on chain spaces, but space 'nb201' is a cell space/);
  });
});
