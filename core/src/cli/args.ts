import { parseArgs as nodeParseArgs } from 'util';
import { didYouMean } from '../util/did-you-mean';
import { UserError } from '../util/errors';

/** How an option is written: `--name value` (string), `--name` alone (boolean), or a string given any number of times. */
export type OptionKind = 'string' | 'boolean' | 'strings';

/** A command's options by name, without the leading `--`. */
export type OptionSpec = Readonly<Record<string, OptionKind>>;

export interface ParsedArgs {
  positional: string[];
  /** Every `--set key.path=value`, in order. */
  sets: string[];
  /** The other options by `--name`: their value, or true for a boolean. */
  flags: Map<string, string | true>;
}

/** `--help` / `-h` before any `--`: the command's usage is wanted, nothing is run. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/**
 * Parse a command's arguments with node's util.parseArgs, strictly: an
 * unknown option, a missing value or a value given to a boolean is a
 * UserError naming the option (with the nearest known one).
 */
export function parseArgs(argv: string[], spec: OptionSpec): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const [name, kind] of Object.entries(spec)) {
    options[name] = kind === 'boolean' ? { type: 'boolean' } : { type: 'string', multiple: kind === 'strings' };
  }
  let parsed: ReturnType<typeof nodeParseArgs>;
  try {
    parsed = nodeParseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UserError(describeParseError(e as Error & { code?: string }, spec));
  }
  const out: ParsedArgs = { positional: parsed.positionals, sets: [], flags: new Map() };
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === undefined) continue;
    if (name === 'set') out.sets.push(...(value as string[]));
    else if (Array.isArray(value)) out.flags.set(`--${name}`, value[value.length - 1] as string);
    else out.flags.set(`--${name}`, value as string | true);
  }
  return out;
}

/** The value of a string option (`stringFlag(args, 'out')` for `--out <dir>`), or undefined when not given. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags.get(`--${name}`);
  return typeof value === 'string' ? value : undefined;
}

/** One line for util.parseArgs's errors, in absnas's words. */
function describeParseError(e: Error & { code?: string }, spec: OptionSpec): string {
  const known = Object.keys(spec).map((n) => `--${n}`);
  const list = known.length > 0 ? `options: ${known.join(', ')}, --help` : 'this command takes no options but --help';
  const named = /'(-{1,2}[^' ]*)/.exec(e.message)?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${named ?? '?'}' (${list})${named ? didYouMean(named, known) : ''}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return named && spec[named.replace(/^-+/, '')] === 'boolean'
        ? `option ${named} takes no value`
        : `option ${named ?? ''} needs a value${/ambiguous/.test(e.message) ? ` (to give a value starting with '-', write ${named}=<value>)` : ''}`;
    default:
      return e.message;
  }
}
