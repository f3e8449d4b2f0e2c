import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '../..');
export const CLI = path.join(ROOT, 'core/dist/cli/main.js');

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `absnas-${prefix}-`));
}

export function runCli(args: string[], cwd = ROOT): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Overrides that shrink the quickstart to seconds: same components, tiny budget. */
export const TINY_SETTINGS: readonly string[] = [
  'data.trainSize=256',
  'data.valSize=64',
  'data.testSize=64',
  'shrink.epochsBeforeFirstRound=1',
  'shrink.train.batchSize=32',
  'search.options.epochs=1',
  'search.options.train.batchSize=32',
  'search.options.evolution={"population":4,"iterations":2,"topK":2,"crossovers":2,"mutations":2}',
  'search.options.recalibrationBatches=1',
  'search.options.evalBatchSize=64',
];

/** TINY_SETTINGS as `--set` arguments. */
export const TINY = TINY_SETTINGS.flatMap((s) => ['--set', s]);

/** Overrides that shrink the NB201 ranking presets to seconds: one seed, two epochs of two steps, a tiny supernet. */
export const TINY_RANKING_SETTINGS: readonly string[] = [
  'data={"dataset":"synthetic","trainSize":128,"valSize":64,"testSize":0}',
  'space.options={"channels":2,"cellsPerStage":1,"sampling":"per-cell"}',
  'shrink.train.stepsPerEpoch=2',
  // after the preset's W0 epoch (1)
  'rank.epochs=[2]',
  'rank.seeds=[0]',
  'rank.accuracySample=4',
];

/**
 * A run of seconds on a tiny NB201 supernet (C=2, N=1) over synthetic 8x8
 * images: ABS with the angle metric (one round dropping 20 operators), then
 * SPOS for one epoch and an evolution of two children. `images` training
 * images, half as many for validation and test; two steps per epoch.
 */
export function tinyNb201Config(o: { images: number; batchSize: number; epochsBeforeFirstRound: number }): {
  shrink: Record<string, unknown>;
  search: { plugin: string; options: Record<string, unknown> };
  [key: string]: unknown;
} {
  const train = { batchSize: o.batchSize, stepsPerEpoch: 2 };
  return {
    name: 'tiny-nb201',
    seed: 0,
    data: { dataset: 'synthetic', trainSize: o.images, valSize: o.images / 2, testSize: o.images / 2 },
    space: { plugin: '@absnas/space-nb201', options: { channels: 2, cellsPerStage: 1 } },
    shrink: {
      enabled: true,
      metric: { plugin: '@absnas/metric-angle' },
      threshold: 100,
      policy: { kind: 'global', count: 20 },
      epochsBeforeFirstRound: o.epochsBeforeFirstRound,
      train,
    },
    search: {
      plugin: '@absnas/spos',
      options: {
        epochs: 1,
        train,
        evolution: { population: 2, iterations: 1, topK: 1, crossovers: 1, mutations: 1 },
        recalibrationBatches: 1,
        evalBatchSize: o.images / 2,
      },
    },
  };
}
