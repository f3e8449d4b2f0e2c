import { launchTraining } from '../../run/launch';
import { UserError } from '../../util/errors';
import { parseArgs, stringFlag } from '../args';
import type { Command } from '../command';

export const trainCommand: Command = {
  name: 'train',
  summary: 'train one architecture from scratch (standalone network) and report its test accuracy',
  usage: `absnas train <architecture> --space <plugin> [--preset <file.json>] [--set key.path=value ...] [--out <dir>] [--quiet]
  absnas train --resume <run-dir> [--quiet]
      <architecture> is in the space's notation (a DARTS genotype, an NB201 string).
      The preset gives data, seed, backend and space (a run preset works) plus
      'train' (epochs, batchSize, learningRate, cutout, auxiliaryWeight,
      dropPath, ...; DARTS recipe by default) and 'network' (the space's
      standalone network: DARTS channels, layers, auxiliary). Writes a run
      directory with config.json, events.jsonl, checkpoints/, result.json
      and report.md; Ctrl-C saves a checkpoint, --resume continues.`,
  options: { space: 'string', preset: 'string', set: 'strings', out: 'string', quiet: 'boolean', resume: 'string' },
  async run(argv) {
    const args = parseArgs(argv, this.options);
    const resume = stringFlag(args, 'resume');
    if (resume === undefined && args.positional.length !== 1) throw new UserError(`usage: ${this.usage.split('\n')[0]}`);
    const { outcome, runDir } = await launchTraining({
      architecture: args.positional[0],
      space: stringFlag(args, 'space'),
      preset: stringFlag(args, 'preset'),
      sets: args.sets,
      out: stringFlag(args, 'out'),
      resume,
      quiet: args.flags.has('--quiet'),
    });
    const { result } = outcome;
    const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
    process.stdout.write(
      [
        `architecture: ${result.architecture}`,
        `params: ${result.params}`,
        ...Object.entries(result.metrics).map(([k, v]) => `${k}: ${/accuracy/i.test(k) ? pct(v) : v}`),
        `time: ${outcome.seconds.toFixed(1)} s`,
        `result: ${runDir.file('result.json')}`,
      ].join('\n') + '\n',
    );
  },
};
