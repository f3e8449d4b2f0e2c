import { applyOverrides, assemble, executeRun, loadPreset, RunDirectory, SilentProgress } from '@absnas/core';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MobileNetSpace } from '../src/index';

const PRESETS = path.resolve(__dirname, '../../../presets/paper');

/** The mini preset's components and rules at a budget of seconds, on synthetic 8x8 data. */
const TINY = [
  'data={"dataset":"synthetic","trainSize":64,"valSize":32,"testSize":32}',
  'space.options.widthMultiplier=0.1',
  'space.options.minFeatureSize=2',
  'space.options.maxFlops=0',
  'shrink.threshold=3e16',
  'shrink.epochsBeforeFirstRound=1',
  'shrink.childrenPerOperator=2',
  'shrink.train.batchSize=16',
  'shrink.train.stepsPerEpoch=2',
  'search.options.epochs=1',
  'search.options.maxFlops=0',
  'search.options.train.batchSize=16',
  'search.options.train.stepsPerEpoch=2',
  'search.options.evolution={"population":3,"iterations":2,"topK":2,"crossovers":1,"mutations":2}',
  'search.options.recalibrationBatches=1',
  'search.options.evalBatchSize=32',
];

describe('ABS + SPOS over the SPOS space (cifar10-spos-abs-mini at a tiny budget)', () => {
  it('shrinks by 7 operators a round, then finds a child of the shrunk space', async () => {
    const preset = loadPreset(path.join(PRESETS, 'cifar10-spos-abs-mini.json'));
    const { raw, origin } = applyOverrides(preset.raw, TINY, preset.origin);
    const assembly = assemble(raw, origin);
    expect(assembly.space.name).toBe('mobilenet-spos');
    expect(assembly.config.shrink.policy).toEqual({ kind: 'global', count: 7, dropAbsent: false });
    expect(assembly.config.shrink.retakeBaseAfterDrops).toBe(50);
    expect(assembly.config.shrink.train.labelSmoothing).toBe(0.1);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-mb-spos-'));
    try {
      const { result, shrink } = await executeRun(assembly, new RunDirectory(dir), new SilentProgress());
      expect(shrink?.rounds.length).toBeGreaterThanOrEqual(2);
      for (const r of shrink?.rounds ?? []) expect(r.dropped).toHaveLength(7);
      expect(result.shrink.sizeAfter).toBeLessThanOrEqual(3e16);
      const space = assembly.space as MobileNetSpace;
      const arch = space.parse(result.architecture);
      arch.forEach((op, i) => expect(result.shrink.candidates[`layer${i}`]).toContain(op));
      expect(result.cost).toEqual(space.cost(arch, { height: 8, width: 8, channels: 1, numClasses: 4 }));
      expect(result.metrics.valAccuracy).toBeGreaterThanOrEqual(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
