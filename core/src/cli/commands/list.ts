import { discoverPlugins, InstalledPlugin, PLUGIN_KEYWORD } from '../../plugin/discover';
import type { JsonSchema } from '../../config/schema';
import { UserError } from '../../util/errors';
import { parseArgs } from '../args';
import type { Command } from '../command';

/** One line per option: name, type, bounds, default and description. */
export function describeOptions(schema: JsonSchema, indent = '    '): string[] {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const names = Object.keys(props);
  if (names.length === 0) return [`${indent}(no options)`];
  const width = Math.max(...names.map((n) => n.length));
  return names.map((name) => {
    const p = props[name];
    const parts: string[] = [];
    if (Array.isArray(p.enum)) parts.push(p.enum.map((v) => JSON.stringify(v)).join('|'));
    else if (p.type !== undefined) parts.push(Array.isArray(p.type) ? p.type.join('|') : String(p.type));
    if (p.minimum !== undefined) parts.push(`>= ${String(p.minimum)}`);
    if (p.exclusiveMinimum !== undefined) parts.push(`> ${String(p.exclusiveMinimum)}`);
    if (p.maximum !== undefined) parts.push(`<= ${String(p.maximum)}`);
    if (p.exclusiveMaximum !== undefined) parts.push(`< ${String(p.exclusiveMaximum)}`);
    const isObject = p.type === 'object' && p.properties !== undefined;
    if (p.default !== undefined && !isObject) parts.push(`default ${JSON.stringify(p.default)}`);
    const text = `${indent}${name.padEnd(width)}  ${parts.join(', ')}${typeof p.description === 'string' ? `: ${p.description}` : ''}`;
    return isObject ? [text, ...describeOptions(p, indent + '  ')].join('\n') : text;
  });
}

function entryJson(p: InstalledPlugin): Record<string, unknown> {
  return {
    package: p.package,
    name: p.plugin?.name ?? null,
    version: p.version,
    kind: p.plugin?.kind ?? null,
    apiVersion: p.plugin?.apiVersion ?? null,
    description: p.description ?? null,
    dir: p.dir,
    schema: p.plugin?.schema ?? null,
    ...(p.error !== undefined ? { error: p.error } : {}),
  };
}

export const listCommand: Command = {
  name: 'list',
  summary: 'list the installed plugins: kind, version, description, options',
  usage: `absnas list [--json]
      Plugins are the packages in node_modules (from the working directory up,
      then beside absnas) whose package.json keywords include "${PLUGIN_KEYWORD}".`,
  options: { json: 'boolean' },
  async run(argv) {
    const args = parseArgs(argv, this.options);
    if (args.positional.length > 0) throw new UserError(`usage: ${this.usage.split('\n')[0]}`);
    const found = discoverPlugins();
    if (args.flags.has('--json')) {
      process.stdout.write(JSON.stringify(found.map(entryJson), null, 2) + '\n');
      return;
    }
    if (found.length === 0) {
      process.stdout.write(`no absnas plugins installed (packages with the keyword "${PLUGIN_KEYWORD}")\n`);
      return;
    }
    const lines: string[] = [];
    for (const p of found) {
      const kind = p.plugin?.kind ?? 'not loadable';
      lines.push(`${p.package}@${p.version}  ${kind}${p.plugin && p.plugin.name !== p.package ? ` (named '${p.plugin.name}')` : ''}`);
      if (p.description) lines.push(`    ${p.description}`);
      if (p.plugin) {
        lines.push('  options:', ...describeOptions(p.plugin.schema));
      } else {
        lines.push(`  error: ${p.error ?? 'unknown'}`);
      }
      lines.push('');
    }
    process.stdout.write(lines.join('\n'));
  },
};
