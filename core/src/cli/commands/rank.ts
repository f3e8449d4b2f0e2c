import * as path from 'path';
import { applyOverrides } from '../../config/overrides';
import { loadPreset } from '../../config/load';
import { assembleRank } from '../../rank/assemble';
import { runRank } from '../../rank/experiment';
import { writeRanking } from '../../rank/report';
import { RunDirectory } from '../../run/run-dir';
import { UserError } from '../../util/errors';
import { ConsoleProgress, SilentProgress } from '../../util/progress';
import { parseArgs, stringFlag } from '../args';
import { loadQueueModule } from '../queue-module';
import type { Command } from '../command';

export const rankCommand: Command = {
  name: 'rank',
  summary: 'how well metrics rank child models against a benchmark (Kendall tau, operator dropping)',
  usage: `absnas rank <preset.json> [--set key.path=value ...] [--out <dir>] [--quiet] [--queue <redis URL> [--detach]]
      Trains the supernet of each seed, scores children with every metric of
      the preset's 'rank' section at the chosen epochs, and writes ranking.md,
      ranking.csv, ranking.json, tau.svg and events.jsonl (default directory:
      runs/<name>-<time>). With --queue each seed is a job for \`absnas worker\`s
      (--out on storage they all mount; --detach enqueues and returns).`,
  options: { set: 'strings', out: 'string', quiet: 'boolean', queue: 'string', detach: 'boolean' },
  async run(argv) {
    const args = parseArgs(argv, this.options);
    const preset = args.positional[0];
    if (!preset || args.positional.length > 1) throw new UserError(`usage: ${this.usage.split('\n')[0]}`);
    const command = ['absnas', 'rank', ...argv].join(' ');
    const queue = stringFlag(args, 'queue');
    if (args.flags.has('--detach') && !queue) throw new UserError('--detach needs --queue (it leaves the seeds to the workers)');
    if (queue) {
      const { lines } = await loadQueueModule().rankOnQueue({
        preset,
        sets: args.sets,
        out: stringFlag(args, 'out'),
        queue,
        detach: args.flags.has('--detach'),
        quiet: args.flags.has('--quiet'),
        command: command.replace(queue, '<queue>'),
      });
      if (lines.length) process.stdout.write(lines.join('\n') + '\n');
      return;
    }
    const loaded = loadPreset(preset);
    const { raw, origin } = applyOverrides(loaded.raw, args.sets, loaded.origin);
    const assembly = assembleRank(raw, origin);
    const quiet = args.flags.has('--quiet') || !assembly.config.output.progress;
    const progress = quiet ? new SilentProgress() : new ConsoleProgress();
    const out = args.flags.get('--out');
    const runDir = typeof out === 'string' ? new RunDirectory(path.resolve(out)) : RunDirectory.fresh(path.resolve('runs'), assembly.config.name);
    progress.log(`output directory: ${runDir.dir}`);
    const result = await runRank(assembly, runDir, progress);
    const lines = writeRanking(runDir, result, command);
    process.stdout.write(lines.join('\n') + '\n');
  },
};
