import { UserError } from '../../util/errors';
import { parseArgs, stringFlag } from '../args';
import type { Command } from '../command';
import { loadQueueModule } from '../queue-module';

export const queueCommand: Command = {
  name: 'queue',
  summary: 'watch and mend distributed matrices: status, retry failed cells, cancel queued ones',
  usage: `absnas queue status|retry|cancel --queue <redis URL> [<job id> ...] [--matrix <name>] [--all]
      status: every matrix's cells (state, worker, phase, epoch, attempts, why a cell failed);
      retry: failed cells back to waiting; cancel: remove queued cells (named, of --matrix, or --all).`,
  options: { queue: 'string', matrix: 'string', all: 'boolean' },
  async run(argv) {
    const args = parseArgs(argv, this.options);
    const [action, ...ids] = args.positional;
    if (!action) throw new UserError(`usage: ${this.usage.split('\n')[0]}`);
    const queue = stringFlag(args, 'queue');
    if (!queue) throw new UserError('absnas queue: --queue <redis URL> is required');
    const text = await loadQueueModule().queueAdmin({ action, queue, ids, matrix: stringFlag(args, 'matrix'), all: args.flags.has('--all') });
    process.stdout.write(`${text}\n`);
  },
};
