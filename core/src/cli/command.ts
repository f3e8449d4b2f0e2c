/** One `absnas <name>` subcommand. Each lives in its own module under commands/. */
export interface Command {
  name: string;
  /** One line for `absnas help`. */
  summary: string;
  /** Usage lines shown by `absnas help` and on a usage error. */
  usage: string;
  run(argv: string[]): Promise<void>;
}
