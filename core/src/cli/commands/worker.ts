import { UserError } from '../../util/errors';
import { parseArgs, stringFlag } from '../args';
import type { Command } from '../command';
import { loadQueueModule } from '../queue-module';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'run cells of distributed comparisons and rankings from a Redis queue (docs/distributed.md)',
  usage: `absnas worker --queue redis://[:password@]host:port/db [--name <name>] [--concurrency <n>] [--quiet]
      Each job runs in a child process; Ctrl-C or SIGTERM checkpoints the running
      jobs and puts them back to waiting, a second one stops at once.`,
  options: { queue: 'string', name: 'string', concurrency: 'string', quiet: 'boolean' },
  async run(argv) {
    const args = parseArgs(argv, this.options);
    if (args.positional.length > 0) throw new UserError(`usage: ${this.usage.split('\n')[0]}`);
    const queue = stringFlag(args, 'queue');
    if (!queue) throw new UserError('absnas worker: --queue <redis URL> is required');
    const text = stringFlag(args, 'concurrency') ?? '1';
    const concurrency = Number(text);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new UserError(`--concurrency: expected a positive integer, got '${text}'`);
    process.exitCode = await loadQueueModule().runWorker({ queue, name: stringFlag(args, 'name'), concurrency, quiet: args.flags.has('--quiet') });
  },
};
