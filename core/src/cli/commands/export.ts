import * as path from 'path';
import { exportRun } from '../../export/export-run';
import { UserError } from '../../util/errors';
import { ConsoleProgress } from '../../util/progress';
import { parseArgs } from '../args';
import type { Command } from '../command';

export const exportCommand: Command = {
  name: 'export',
  summary: "write a run's found architecture as a standalone tfjs model or as JSON",
  usage: `absnas export <run-dir> [--format tfjs|json] [--out <dir>]
      tfjs: model.json + weights.bin that plain @tensorflow/tfjs loads
      (tf.loadLayersModel), with the supernet's weights and BN statistics
      recalibrated for the child; json: the architecture in the space's notation.`,
  options: { format: 'string', out: 'string' },
  async run(argv) {
    const args = parseArgs(argv, this.options);
    const runDir = args.positional[0];
    if (!runDir || args.positional.length > 1) throw new UserError(`usage: ${this.usage.split('\n')[0]}`);
    const format = (args.flags.get('--format') as string | undefined) ?? 'tfjs';
    if (format !== 'tfjs' && format !== 'json') throw new UserError(`--format: expected tfjs or json, got '${format}'`);
    const out = args.flags.get('--out');
    const outDir = path.resolve(typeof out === 'string' ? out : path.join(runDir, `export-${format}`));
    const files = await exportRun(path.resolve(runDir), { format, outDir, recalibrationBatches: 20, checkImages: 100 }, new ConsoleProgress());
    process.stdout.write(files.join('\n') + '\n');
  },
};
