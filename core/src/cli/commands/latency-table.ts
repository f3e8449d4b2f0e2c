import * as path from 'path';
import { selectBackend } from '../../backend';
import { loadPreset } from '../../config/load';
import { applyOverrides } from '../../config/overrides';
import { loadData } from '../../data/load';
import { measureLatencyTable } from '../../latency/latency-table';
import { assemble } from '../../run/assemble';
import { UserError } from '../../util/errors';
import { writeJsonAtomic } from '../../util/fs';
import { ConsoleProgress } from '../../util/progress';
import { parseArgs } from '../args';
import type { Command } from '../command';

export const latencyTableCommand: Command = {
  name: 'latency-table',
  summary: "measure every operator's latency on the current backend, for latency-constrained search",
  usage: `absnas latency-table <preset.json> [--set key.path=value ...] [--out <file>] [--batch <n>] [--repeats <n>]
      Uses the preset's space and input size; writes a JSON table that
      ProxylessNAS reads with target.metric 'latency'.`,
  options: { set: 'strings', out: 'string', batch: 'string', repeats: 'string' },
  async run(argv) {
    const args = parseArgs(argv, this.options);
    const preset = args.positional[0];
    if (!preset || args.positional.length > 1) throw new UserError(`usage: ${this.usage.split('\n')[0]}`);
    const int = (flag: string, fallback: number): number => {
      const v = args.flags.get(flag);
      if (v === undefined) return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag}: expected a positive integer, got '${String(v)}'`);
      return n;
    };
    const loaded = loadPreset(preset);
    const { raw, origin } = applyOverrides(loaded.raw, args.sets, loaded.origin);
    const { config, space } = assemble(raw, origin);
    const progress = new ConsoleProgress();
    const backend = await selectBackend(config.backend, (m) => progress.log(m));
    const input = loadData({ ...config.data, trainSize: 1, valSize: 1, testSize: 1 }, config.seed).input;
    const table = measureLatencyTable(space, input, backend, { batchSize: int('--batch', 1), repeats: int('--repeats', 10) }, progress);
    const out = path.resolve(String(args.flags.get('--out') ?? `latency-${space.name}-${backend.name}.json`));
    writeJsonAtomic(out, table);
    process.stdout.write(`${out}\n`);
  },
};
