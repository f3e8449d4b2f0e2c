#!/usr/bin/env node
import 'reflect-metadata';
import { HookError } from '../hooks/hooks';
import { isUserError, UserError } from '../util/errors';
import { COMMANDS } from './commands';

function help(): string {
  return [
    'absnas: neural architecture search with angle-based search space shrinking',
    '',
    'usage:',
    ...COMMANDS.map((c) => {
      const [first, ...more] = c.usage.split('\n');
      return [`  ${first}`, `      ${c.summary}`, ...more].join('\n');
    }),
    '  absnas help',
    '',
    'exit codes: 0 success, 1 internal error, 2 bad input (config, plugin, data, checkpoint, arguments),',
    '            3 numerical failure (non-finite loss), 130 interrupted (a checkpoint was saved)',
  ].join('\n');
}

/** Run one command line; returns the exit code. User errors are one line, without a stack. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
      process.stdout.write(help() + '\n');
      return 0;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new UserError(`unknown command '${name}' (commands: ${COMMANDS.map((c) => c.name).join(', ')}, help)`);
    await command.run(rest);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    const inner = e instanceof HookError ? e.cause : e;
    if (isUserError(inner)) {
      process.stderr.write(`absnas: ${e instanceof HookError ? e.message : inner.message}\n`);
      return inner.exitCode;
    }
    process.stderr.write(`absnas: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`absnas: internal error: ${String(e)}\n`);
      process.exit(1);
    },
  );
}
