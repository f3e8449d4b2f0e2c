import * as path from 'path';
import { composeSchemaWithPlugins } from '../../config/plugin-slots';
import { discoverPlugins, schemaPluginsOf } from '../../plugin/discover';
import { UserError } from '../../util/errors';
import { writeFileAtomic } from '../../util/fs';
import { parseArgs } from '../args';
import type { Command } from '../command';

export const configCommand: Command = {
  name: 'config',
  summary: 'print the JSON schema of a run config, with every installed plugin\'s options',
  usage: `absnas config schema [--out <file>]
      Editors validate presets against it: "$schema": "<path to the file>".
      Plugins that cannot be loaded are left out, with a note on stderr.`,
  options: { out: 'string' },
  async run(argv) {
    const args = parseArgs(argv, this.options);
    const [action, ...extra] = args.positional;
    if (action !== 'schema' || extra.length > 0) throw new UserError(`usage: ${this.usage.split('\n')[0]}`);
    const installed = discoverPlugins();
    for (const p of installed) {
      if (p.error !== undefined) process.stderr.write(`absnas: note: left out ${p.package}: ${p.error}\n`);
    }
    const schema = composeSchemaWithPlugins(schemaPluginsOf(installed));
    const text = JSON.stringify(schema, null, 2) + '\n';
    const out = args.flags.get('--out');
    if (typeof out === 'string') {
      writeFileAtomic(path.resolve(out), text);
      process.stderr.write(`wrote ${out}\n`);
    } else {
      process.stdout.write(text);
    }
  },
};
