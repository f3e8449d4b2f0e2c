import * as path from 'path';
import { launchComparison } from '../../compare/compare';
import { UserError } from '../../util/errors';
import { parseArgs, stringFlag } from '../args';
import type { Command } from '../command';
import { loadQueueModule } from '../queue-module';
export const compareCommand: Command = {
  name: 'compare',
  summary: 'searchers x {original, ABS-shrunk space} x seeds, with a table; rerun to finish what is missing',
  usage: `absnas compare <preset.json> [--set key.path=value ...] [--out <dir>] [--quiet] [--queue <redis URL> [--detach]]
      Each cell is a run under <dir>/cells/; one shrunk space per seed is shared by
      every searcher. Writes compare.md, compare.csv and compare.json. With --queue
      the cells run on \`absnas worker\`s (<dir> on storage they all mount);
      --detach enqueues and returns, the same command again collects.`,
  options: { set: 'strings', out: 'string', quiet: 'boolean', queue: 'string', detach: 'boolean' },
  async run(argv) {
    const args = parseArgs(argv, this.options);
    const preset = args.positional[0];
    if (!preset || args.positional.length > 1) throw new UserError(`usage: ${this.usage.split('\n')[0]}`);
    const request = { preset, sets: args.sets, out: stringFlag(args, 'out'), quiet: args.flags.has('--quiet') };
    const queue = stringFlag(args, 'queue');
    if (args.flags.has('--detach') && !queue) throw new UserError('--detach needs --queue (it leaves the cells to the workers)');
    const { result, dir } = queue
      ? await loadQueueModule().compareOnQueue({ ...request, queue, detach: args.flags.has('--detach') })
      : await launchComparison(request);
    if (!result) return;
    process.stdout.write(`${path.join(dir, 'compare.md')}\n`);
    for (const r of result.rows) {
      const f = (x: number | null) => (x === null ? 'n/a' : x.toFixed(2));
      process.stdout.write(`${r.searcher}: original ${f(r.original.mean)}, ABS ${f(r.abs.mean)}, gain ${f(r.gain)}\n`);
    }
  },
};
