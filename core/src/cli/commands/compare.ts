import * as path from 'path';
import { Interruption, RunInterrupted } from '../../checkpoint/interrupt';
import { runComparison } from '../../compare/compare';
import { loadPreset } from '../../config/load';
import { applyOverrides } from '../../config/overrides';
import { UserError } from '../../util/errors';
import { ConsoleProgress, SilentProgress } from '../../util/progress';
import { parseArgs } from '../args';
import type { Command } from '../command';

export const compareCommand: Command = {
  name: 'compare',
  summary: 'searchers x {original, ABS-shrunk space} x seeds, with a table; rerun to finish what is missing',
  usage: `absnas compare <preset.json> [--set key.path=value ...] [--out <dir>] [--quiet]
      Each cell is a run under <dir>/cells/; one shrunk space per seed is shared by
      every searcher. Writes compare.md, compare.csv and compare.json.`,
  options: { set: 'strings', out: 'string', quiet: 'boolean' },
  async run(argv) {
    const args = parseArgs(argv, this.options);
    const preset = args.positional[0];
    if (!preset || args.positional.length > 1) throw new UserError(`usage: ${this.usage.split('\n')[0]}`);
    const loaded = loadPreset(preset);
    const { raw, origin } = applyOverrides(loaded.raw, args.sets, loaded.origin);
    const progress = args.flags.has('--quiet') ? new SilentProgress() : new ConsoleProgress();
    const out = args.flags.get('--out');
    const dir = path.resolve(typeof out === 'string' ? out : path.join('runs', `compare-${path.basename(preset, '.json')}`));
    const interruption = new Interruption();
    const onSignal = (signal: NodeJS.Signals): void => {
      if (interruption.requested) process.exit(130);
      interruption.request(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const result = await runComparison(raw, origin, dir, progress, interruption);
      process.stdout.write(`${path.join(dir, 'compare.md')}\n`);
      for (const r of result.rows) {
        const f = (x: number | null) => (x === null ? 'n/a' : x.toFixed(2));
        process.stdout.write(`${r.searcher}: original ${f(r.original.mean)}, ABS ${f(r.abs.mean)}, gain ${f(r.gain)}\n`);
      }
    } catch (e) {
      if (e instanceof RunInterrupted) throw new RunInterrupted(`${e.message}\nfinish it with: absnas compare ${preset} --out ${dir}`);
      throw e;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
