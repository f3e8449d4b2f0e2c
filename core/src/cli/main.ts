#!/usr/bin/env node
import 'reflect-metadata';
import { HookError } from '../hooks/hooks';
import { didYouMean } from '../util/did-you-mean';
import { isUserError, UserError } from '../util/errors';
import { fileSystemError } from '../util/fs';
import { wantsHelp } from './args';
import type { Command } from './command';
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
    '  absnas help [<command>]   (or absnas <command> --help)',
    '',
    'exit codes: 0 success, 1 internal error, 2 bad input (config, plugin, data, checkpoint, arguments) or a file system that refuses,',
    '            3 numerical failure (non-finite loss), 130 interrupted (a checkpoint was saved)',
  ].join('\n');
}

/** `absnas <command> --help`: its summary, usage and options. */
function commandHelp(c: Command): string {
  const options = Object.entries(c.options).map(([n, kind]) => `--${n}${kind === 'boolean' ? '' : ' <value>'}${kind === 'strings' ? ' (repeatable)' : ''}`);
  return [`absnas ${c.name}: ${c.summary}`, '', 'usage:', `  ${c.usage}`, '', `options: ${[...options, '--help'].join(', ')}`].join('\n');
}

function findCommand(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (command) return command;
  const names = COMMANDS.map((c) => c.name);
  throw new UserError(`unknown command '${name}' (commands: ${names.join(', ')}, help)${didYouMean(name, names)}`);
}

/** A message that echoes a huge input (an 80 KB architecture string) shows its start and its length, not all of it. */
export function shortenEchoes(message: string, max = 200): string {
  return message.replace(new RegExp(`[^\\s]{${max + 1},}`, 'g'), (w) => `${w.slice(0, max)}... (${w.length} characters)`);
}

/** Run one command line; returns the exit code. User errors are one line, without a stack. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
      const topic = name === 'help' ? rest[0] : undefined;
      process.stdout.write((topic === undefined ? help() : commandHelp(findCommand(topic))) + '\n');
      return 0;
    }
    const command = findCommand(name);
    if (wantsHelp(rest)) {
      process.stdout.write(commandHelp(command) + '\n');
      return 0;
    }
    await command.run(rest);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    const cause = e instanceof HookError ? e.cause : e;
    // a full disk, a read-only folder, a file where a folder belongs: the machine's doing, not a bug
    const inner = fileSystemError(cause) ?? cause;
    if (isUserError(inner)) {
      process.stderr.write(`absnas: ${shortenEchoes(e instanceof HookError ? e.message : inner.message)}\n`);
      return inner.exitCode;
    }
    process.stderr.write(`absnas: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

/** Resolves once everything written to `stream` so far has reached the OS (or the reader has gone). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.write('', () => resolve());
  });
}

/**
 * The `absnas` command: runs `argv`, then exits with its code once stdout and
 * stderr are flushed (a pipe is written asynchronously, and process.exit
 * would cut what is still queued).
 */
export function cli(argv: string[]): void {
  // a reader that stops early (`| head`) is not an error of ours
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    });
  }
  const exit = (code: number): void => {
    process.exitCode = code;
    void Promise.all([flushed(process.stdout), flushed(process.stderr)]).then(() => process.exit(code));
  };
  main(argv).then(exit, (e) => {
    process.stderr.write(`absnas: internal error: ${String(e)}\n`);
    exit(1);
  });
}

if (require.main === module) cli(process.argv.slice(2));
