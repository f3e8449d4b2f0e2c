import * as path from 'path';
import { applyOverrides } from '../../config/overrides';
import { loadPreset } from '../../config/load';
import { assembleRank } from '../../rank/assemble';
import { runRank } from '../../rank/experiment';
import { renderRankCsv, renderRankMarkdown, renderTauSvg } from '../../rank/report';
import { formatMeanStd } from '../../rank/summary';
import { RunDirectory } from '../../run/run-dir';
import { UserError } from '../../util/errors';
import { ConsoleProgress, SilentProgress } from '../../util/progress';
import { parseArgs } from '../args';
import type { Command } from '../command';

export const rankCommand: Command = {
  name: 'rank',
  summary: 'how well metrics rank child models against a benchmark (Kendall tau, operator dropping)',
  usage: `absnas rank <preset.json> [--set key.path=value ...] [--out <dir>] [--quiet]
      Trains the supernet of each seed, scores children with every metric of
      the preset's 'rank' section at the chosen epochs, and writes ranking.md,
      ranking.csv, ranking.json, tau.svg and events.jsonl (default directory:
      runs/<name>-<time>).`,
  options: { set: 'strings', out: 'string', quiet: 'boolean' },
  async run(argv) {
    const args = parseArgs(argv, this.options);
    const preset = args.positional[0];
    if (!preset || args.positional.length > 1) throw new UserError(`usage: ${this.usage.split('\n')[0]}`);
    const loaded = loadPreset(preset);
    const { raw, origin } = applyOverrides(loaded.raw, args.sets, loaded.origin);
    const assembly = assembleRank(raw, origin);
    const quiet = args.flags.has('--quiet') || !assembly.config.output.progress;
    const progress = quiet ? new SilentProgress() : new ConsoleProgress();
    const out = args.flags.get('--out');
    const runDir = typeof out === 'string' ? new RunDirectory(path.resolve(out)) : RunDirectory.fresh(path.resolve('runs'), assembly.config.name);
    progress.log(`output directory: ${runDir.dir}`);
    const result = await runRank(assembly, runDir, progress);
    const command = ['absnas', 'rank', ...argv].join(' ');
    runDir.writeJson('ranking.json', result);
    runDir.writeText('ranking.csv', renderRankCsv(result));
    runDir.writeText('ranking.md', renderRankMarkdown(result, command));
    runDir.writeText('tau.svg', renderTauSvg(result));
    const last = result.epochs.length - 1;
    const width = Math.max(...result.metrics.map((m) => m.label.length), 6);
    const lines = [
      `Kendall tau-b against ${result.column} at epoch ${result.epochs[last]} (${result.seeds.length} seed(s)); top-${result.topCount} operators kept after dropping ${result.dropCount}:`,
      ...result.metrics.map(
        (m) => `  ${m.label.padEnd(width)}  tau ${formatMeanStd(m.summary[last].kendallTau)}   kept ${formatMeanStd(m.keptOfTop, 1)}`,
      ),
      `time: ${result.seconds.total.toFixed(1)} s`,
      `report: ${runDir.file('ranking.md')}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  },
};
