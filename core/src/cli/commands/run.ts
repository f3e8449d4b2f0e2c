import * as fs from 'fs';
import * as path from 'path';
import { Interruption, NumericalError, RunInterrupted } from '../../checkpoint/interrupt';
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
  absnas run --resume <run-dir> [--quiet]
      Writes a run directory (default: runs/<name>-<time>) with config.json,
      events.jsonl, checkpoints/, shrunk-space.json, result.json and report.md.
      Checkpoints are saved at every epoch end; Ctrl-C saves one and stops;
      --resume continues from the newest valid one.`,
  options: { set: 'strings', out: 'string', quiet: 'boolean', resume: 'string' },
  async run(argv) {
    const args = parseArgs(argv, this.options);
    const resumeDir = args.flags.get('--resume');
    const preset = typeof resumeDir === 'string' ? path.join(resumeDir, 'config.json') : args.positional[0];
    if (!preset || args.positional.length > (typeof resumeDir === 'string' ? 0 : 1)) {
      throw new UserError(`usage: ${this.usage.split('\n')[0]}`);
    }
    if (typeof resumeDir === 'string' && (args.sets.length > 0 || args.flags.has('--out'))) {
      throw new UserError('--resume continues a run with its own config and directory: --set and --out cannot be combined with it');
    }
    if (typeof resumeDir === 'string' && !fs.existsSync(preset)) {
      throw new UserError(`--resume ${resumeDir}: no run there (expected ${preset})`);
    }
    const loaded = loadPreset(preset);
    const { raw, origin } = applyOverrides(loaded.raw, args.sets, loaded.origin);
    const assembly = assemble(raw, origin);
    const quiet = args.flags.has('--quiet') || !assembly.config.output.progress;
    const progress = quiet ? new SilentProgress() : new ConsoleProgress();
    const out = typeof resumeDir === 'string' ? resumeDir : args.flags.get('--out');
    const runDir = typeof out === 'string' ? new RunDirectory(path.resolve(out)) : RunDirectory.fresh(path.resolve('runs'), assembly.config.name);
    progress.log(`run directory: ${runDir.dir}`);
    const interruption = new Interruption();
    const onSignal = (signal: NodeJS.Signals): void => {
      if (interruption.requested) process.exit(130); // a second signal: stop now
      interruption.request(signal);
      process.stderr.write(`\nabsnas: ${signal}: saving a checkpoint at the next safe point (again to stop at once)\n`);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let outcome;
    try {
      outcome = await executeRun(assembly, runDir, progress, { resume: typeof resumeDir === 'string', interruption });
    } catch (e) {
      if (e instanceof RunInterrupted || e instanceof NumericalError) {
        throw new (e.constructor as typeof RunInterrupted)(`${e.message}\nresume with: absnas run --resume ${runDir.dir}`);
      }
      throw e;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
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
