import * as path from 'path';
import { applyOverrides } from '../../config/overrides';
import { loadPreset } from '../../config/load';
import { assemble } from '../../run/assemble';
import { executeRun } from '../../run/run';
import { RunDirectory } from '../../run/run-dir';
import { UserError } from '../../util/errors';
import { ConsoleProgress, SilentProgress } from '../../util/progress';
import { parseArgs } from '../args';
import type { Command } from '../command';

export const runCommand: Command = {
  name: 'run',
  summary: 'shrink the space with ABS (if enabled), then search it',
  usage: `absnas run <preset.json> [--set key.path=value ...] [--out <dir>] [--quiet]
      Writes a run directory (default: runs/<name>-<time>) with config.json,
      events.jsonl, shrunk-space.json, result.json and report.md.`,
  async run(argv) {
    const args = parseArgs(argv, new Set(['--set', '--out', '--quiet']));
    const preset = args.positional[0];
    if (!preset || args.positional.length > 1) throw new UserError(`usage: ${this.usage.split('\n')[0]}`);
    const loaded = loadPreset(preset);
    const { raw, origin } = applyOverrides(loaded.raw, args.sets, loaded.origin);
    const assembly = assemble(raw, origin);
    const quiet = args.flags.has('--quiet') || !assembly.config.output.progress;
    const progress = quiet ? new SilentProgress() : new ConsoleProgress();
    const out = args.flags.get('--out');
    const runDir = typeof out === 'string' ? new RunDirectory(path.resolve(out)) : RunDirectory.fresh(path.resolve('runs'), assembly.config.name);
    progress.log(`run directory: ${runDir.dir}`);
    const outcome = await executeRun(assembly, runDir, progress);
    const r = outcome.result;
    const lines = [
      `architecture: ${r.architecture}`,
      ...Object.entries(r.metrics).map(([k, v]) => `${k}: ${/accuracy/i.test(k) ? (100 * v).toFixed(2) + '%' : v}`),
      `space: ${r.shrink.sizeBefore} -> ${r.shrink.sizeAfter} children (${r.shrink.rounds} shrink round(s))`,
      `time: ${outcome.seconds.total.toFixed(1)} s`,
      `result: ${runDir.file('result.json')}`,
      `report: ${runDir.file('report.md')}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  },
};
