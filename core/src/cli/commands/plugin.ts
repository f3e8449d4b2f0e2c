import * as path from 'path';
import { SCAFFOLD_KINDS, ScaffoldKind, scaffoldPlugin } from '../../scaffold';
import { UserError } from '../../util/errors';
import { parseArgs } from '../args';
import type { Command } from '../command';

export const pluginCommand: Command = {
  name: 'plugin',
  summary: 'write a new plugin package (metric, searcher or search space) that builds, tests and runs',
  usage: `absnas plugin new <npm-name> --kind ${SCAFFOLD_KINDS.join('|')} [--dir <parent>]
      Writes <parent>/<name>/ (default parent: the working directory): package.json,
      tsconfig, src/index.ts (a working component), a jest test, a README and
      presets/demo.json; it depends on the absnas that runs this command.`,
  options: { kind: 'string', dir: 'string' },
  async run(argv) {
    const args = parseArgs(argv, this.options);
    const [action, name, ...extra] = args.positional;
    if (action !== 'new' || name === undefined || extra.length > 0) {
      throw new UserError(`usage: ${this.usage.split('\n')[0]}`);
    }
    const kind = args.flags.get('--kind');
    if (typeof kind !== 'string') throw new UserError(`plugin new: --kind is required (${SCAFFOLD_KINDS.join(', ')})`);
    if (!(SCAFFOLD_KINDS as readonly string[]).includes(kind)) {
      throw new UserError(`plugin new: unknown kind '${kind}' (expected one of ${SCAFFOLD_KINDS.join(', ')})`);
    }
    const dir = args.flags.get('--dir');
    const parentDir = typeof dir === 'string' ? path.resolve(dir) : process.cwd();
    const result = scaffoldPlugin({ name, kind: kind as ScaffoldKind, parentDir });
    const relative = path.relative(process.cwd(), result.dir);
    const rel = relative === '' ? '.' : relative.startsWith('..') || path.isAbsolute(relative) ? result.dir : relative;
    const lines = [
      `created ${name}, an absnas ${kind} plugin, in ${result.dir}:`,
      ...result.files.map((f) => `  ${f}`),
      '',
      'next:',
      `  cd ${rel.includes(' ') ? JSON.stringify(rel) : rel}`,
      '  npm install',
      '  npm run build && npm test',
      '  npm run search      # a tiny search with presets/demo.json',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  },
};
