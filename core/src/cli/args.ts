import { UserError } from '../util/errors';

export interface ParsedArgs {
  positional: string[];
  sets: string[];
  flags: Map<string, string | true>;
}

/** Options that take a value. Everything else starting with -- is a boolean flag. */
const VALUED = new Set(['--batch', '--repeats', '--format', '--set', '--out', '--resume', '--backend', '--cache-dir', '--dir', '--kind']);

/** A small, strict parser of a command's arguments: unknown flags are errors, not silently ignored. */
export function parseArgs(argv: string[], known: ReadonlySet<string>): ParsedArgs {
  const out: ParsedArgs = { positional: [], sets: [], flags: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const [name, inline] = a.includes('=') && VALUED.has(a.slice(0, a.indexOf('='))) ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
      if (!known.has(name)) throw new UserError(`unknown option '${name}' (try: absnas help)`);
      if (VALUED.has(name)) {
        const value = inline ?? argv[++i];
        if (value === undefined) throw new UserError(`option ${name} needs a value`);
        if (name === '--set') out.sets.push(value);
        else out.flags.set(name, value);
      } else {
        out.flags.set(name, true);
      }
    } else {
      out.positional.push(a);
    }
  }
  return out;
}
