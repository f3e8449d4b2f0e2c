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
export const TINY = [
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
].flatMap((s) => ['--set', s]);
