import { launchRun } from '../../run/launch';
import { UserError } from '../../util/errors';
import { parseArgs, stringFlag } from '../args';
import type { Command } from '../command';

export const runCommand: Command = {
  name: 'run',
  summary: 'shrink the space with ABS (if enabled), then search it',
  usage: `absnas run <preset.json> [--set key.path=value ...] [--out <dir>] [--quiet]
  absnas run --resume <run-dir> [--quiet]
      Writes a run directory (default: runs/<name>-<time>) with config.json,
      events.jsonl, checkpoints/, shrunk-space.json, result.json and report.md.
      Checkpoints are saved at every epoch end; Ctrl-C saves one and stops;
      --resume continues from the newest valid one.`,
  options: { set: 'strings', out: 'string', quiet: 'boolean', resume: 'string' },
  async run(argv) {
    const args = parseArgs(argv, this.options);
    const resume = stringFlag(args, 'resume');
    if (resume === undefined ? args.positional.length !== 1 : args.positional.length > 0) {
      throw new UserError(`usage: ${this.usage.split('\n')[0]}`);
    }
    const { outcome, runDir } = await launchRun({
      preset: args.positional[0],
      sets: args.sets,
      out: stringFlag(args, 'out'),
      resume,
      quiet: args.flags.has('--quiet'),
    });
    const r = outcome.result;
    const lines = [
      `architecture: ${r.architecture}`,
      ...Object.entries(r.metrics).map(([k, v]) => `${k}: ${/accuracy/i.test(k) ? (100 * v).toFixed(2) + '%' : v}`),
      `space: ${r.shrink.sizeBefore} -> ${r.shrink.sizeAfter} children (${r.shrink.rounds} shrink round(s))`,
      `time: ${outcome.seconds.total.toFixed(1)} s`,
      `result: ${runDir.file('result.json')}`,
      `report: ${runDir.file('report.md')} and report.html`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  },
};
