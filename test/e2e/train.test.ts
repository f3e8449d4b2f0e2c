/**
 * `absnas train`: an architecture trained from scratch, on synthetic data at
 * tiny widths — a DARTS genotype as a standalone network (auxiliary head,
 * cutout, drop-path), an NB201 cell through its supernet, and a malformed
 * genotype refused before anything is written.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runCli, tempDir } from './helpers';

const GENOTYPE =
  "Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1), ('dil_conv_3x3', 0), ('max_pool_3x3', 2), ('sep_conv_5x5', 1), ('avg_pool_3x3', 3), " +
  "('skip_connect', 0), ('dil_conv_5x5', 4)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('skip_connect', 1), ('sep_conv_3x3', 1), " +
  "('dil_conv_3x3', 2), ('avg_pool_3x3', 0), ('sep_conv_5x5', 3), ('dil_conv_5x5', 1), ('skip_connect', 2)], reduce_concat=[2, 3, 4, 5])";

const DATA = ['data.dataset=synthetic', 'data.trainSize=64', 'data.valSize=32', 'data.testSize=32', 'backend=wasm'];
const sets = (xs: string[]): string[] => xs.flatMap((s) => ['--set', s]);

describe('absnas train', () => {
  it('trains a DARTS genotype from scratch and reports its test accuracy', () => {
    const out = path.join(tempDir('train-darts'), 'run');
    const r = runCli([
      'train', GENOTYPE, '--space', '@absnas/space-darts', '--out', out, '--quiet',
      ...sets([...DATA, 'space.options.networkChannels=2', 'space.options.networkLayers=3', 'network.auxiliary=true',
        'train.epochs=1', 'train.batchSize=32', 'train.cutout=4', 'train.dropPath=0.3', 'train.evalBatchSize=32']),
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/testAccuracy: \d+\.\d\d%/);
    const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8'));
    expect(result.architecture).toBe(GENOTYPE);
    expect(result.metrics.epochs).toBe(1);
    expect(result.params).toBe(result.cost.params); // the network counted without its auxiliary head, as cost() does
    const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(config.train).toMatchObject({ epochs: 1, cutout: 4, dropPath: 0.3, auxiliaryWeight: 0.4, momentum: 0.9 });
    expect(fs.existsSync(path.join(out, 'report.md'))).toBe(true);
    expect(fs.readFileSync(path.join(out, 'events.jsonl'), 'utf8')).toContain('"event":"epoch"');
    // resuming a finished run restores the last epoch's checkpoint and reports the same
    const before = fs.readFileSync(path.join(out, 'result.json'), 'utf8');
    const again = runCli(['train', '--resume', out, '--quiet']);
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    expect(fs.readFileSync(path.join(out, 'result.json'), 'utf8')).toBe(before);
  });

  it('trains an NB201 cell through the supernet of a space without a standalone network', () => {
    const out = path.join(tempDir('train-nb201'), 'run');
    const r = runCli([
      'train', '|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|', '--space', '@absnas/space-nb201',
      '--out', out, ...sets([...DATA, 'space.options={"channels":4,"cellsPerStage":1}', 'train.epochs=1', 'train.batchSize=32', 'train.cutout=0']),
    ]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('has no standalone network');
    expect(JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8')).metrics.testAccuracy).toBeGreaterThanOrEqual(0);
  });

  it('refuses a malformed genotype with exit code 2 and writes nothing', () => {
    const out = path.join(tempDir('train-bad'), 'run');
    const r = runCli(['train', GENOTYPE.replace("('dil_conv_5x5', 4)", "('dil_conv_5x5', 7)"), '--space', '@absnas/space-darts', '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/normal node 5: input 7 is not an earlier node/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
