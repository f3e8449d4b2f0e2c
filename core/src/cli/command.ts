import type { OptionSpec } from './args';

/** One `absnas <name>` subcommand. Each lives in its own module under commands/. */
export interface Command {
  name: string;
  /** One line for `absnas help`. */
  summary: string;
  /** Usage lines shown by `absnas help`, `absnas <name> --help` and on a usage error. */
  usage: string;
  /** The options the command takes (`--help` is every command's). */
  options: OptionSpec;
  run(argv: string[]): Promise<void>;
}
