import { fetchCifar10 } from '../../data/fetch-cifar10';
import { UserError } from '../../util/errors';
import { ConsoleProgress } from '../../util/progress';
import { parseArgs } from '../args';
import type { Command } from '../command';

const DATASETS = ['cifar10'] as const;

export const dataCommand: Command = {
  name: 'data',
  summary: 'download a dataset into the cache (cifar10)',
  usage: `absnas data fetch cifar10 [--cache-dir <dir>]
      Puts cifar-10-batches-bin into the cache directory (default: $ABSNAS_CACHE,
      else ~/.cache/absnas); a valid copy already there is left as it is.`,
  options: { 'cache-dir': 'string' },
  async run(argv) {
    const args = parseArgs(argv, this.options);
    const [action, dataset, ...extra] = args.positional;
    if (action !== 'fetch' || dataset === undefined || extra.length > 0) {
      throw new UserError(`usage: ${this.usage.split('\n')[0]}`);
    }
    if (!(DATASETS as readonly string[]).includes(dataset)) {
      throw new UserError(`unknown dataset '${dataset}' for 'absnas data fetch' (known: ${DATASETS.join(', ')})`);
    }
    const cacheDir = args.flags.get('--cache-dir');
    const result = await fetchCifar10({
      cacheDir: typeof cacheDir === 'string' ? cacheDir : undefined,
      progress: new ConsoleProgress(),
    });
    const s = result.summary;
    const perClass = (c: number[]): string => (c.every((v) => v === c[0]) ? `${c[0]} per class` : c.join(', '));
    const lines = [
      result.fetched
        ? `cifar10: fetched into ${result.dir} in ${result.seconds.toFixed(1)} s`
        : `cifar10: a valid copy is already in ${result.dir}; nothing to do`,
      `verified: ${s.trainPerClass.reduce((a, b) => a + b, 0)} training images (${perClass(s.trainPerClass)}), ` +
        `${s.testPerClass.reduce((a, b) => a + b, 0)} test images (${perClass(s.testPerClass)}), ` +
        `first test labels ${s.firstTestLabels.join(', ')}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  },
};
