#!/usr/bin/env node
import 'reflect-metadata';
import * as path from 'path';
import { currentBackendInfo, selectBackend, BackendChoice } from '../backend';
import { applyOverrides } from '../config/overrides';
import { loadPreset } from '../config/load';
import { HookError } from '../hooks/hooks';
import { assemble } from '../run/assemble';
import { executeRun } from '../run/run';
import { RunDirectory } from '../run/run-dir';
import { isUserError, UserError } from '../util/errors';
import { ConsoleProgress, SilentProgress } from '../util/progress';
import { parseArgs } from './args';

const HELP = `absnas: neural architecture search with angle-based search space shrinking

usage:
  absnas run <preset.json> [--set key.path=value ...] [--out <dir>] [--quiet]
      Shrink the space with ABS (if enabled), then search it; writes a run
      directory (default: runs/<name>-<time>) with config.json, events.jsonl,
      shrunk-space.json, result.json and report.md.
  absnas doctor [--backend auto|tensorflow-gpu|tensorflow|wasm|cpu]
      Show the compute backend absnas picks and its self-test.
  absnas help

exit codes: 0 success, 1 internal error, 2 bad input (config, plugin, data)`;

async function commandRun(argv: string[]): Promise<void> {
  const args = parseArgs(argv, new Set(['--set', '--out', '--quiet']));
  const preset = args.positional[0];
  if (!preset || args.positional.length > 1) throw new UserError('usage: absnas run <preset.json> [--set key=value ...] [--out <dir>]');
  const loaded = loadPreset(preset);
  const { raw, origin } = applyOverrides(loaded.raw, args.sets, loaded.origin);
  const assembly = assemble(raw, origin);
  const quiet = args.flags.has('--quiet') || !assembly.config.output.progress;
  const progress = quiet ? new SilentProgress() : new ConsoleProgress();
  const out = args.flags.get('--out');
  const runDir = typeof out === 'string' ? new RunDirectory(path.resolve(out)) : RunDirectory.fresh(path.resolve('runs'), assembly.config.name);
  progress.log(`run directory: ${runDir.dir}`);
  const outcome = await executeRun(assembly, runDir, progress);
  const r = outcome.result;
  const lines = [
    `architecture: ${r.architecture}`,
    ...Object.entries(r.metrics).map(([k, v]) => `${k}: ${/accuracy/i.test(k) ? (100 * v).toFixed(2) + '%' : v}`),
    `space: ${r.shrink.sizeBefore} -> ${r.shrink.sizeAfter} children (${r.shrink.rounds} shrink round(s))`,
    `time: ${outcome.seconds.total.toFixed(1)} s`,
    `result: ${runDir.file('result.json')}`,
    `report: ${runDir.file('report.md')}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

async function commandDoctor(argv: string[]): Promise<void> {
  const args = parseArgs(argv, new Set(['--backend']));
  const choice = (args.flags.get('--backend') as BackendChoice | undefined) ?? 'auto';
  await selectBackend(choice);
  const info = currentBackendInfo();
  if (!info) throw new Error('no backend selected');
  const lines = [
    `backend:   ${info.name} (from ${info.package}, asked: ${info.choice})`,
    `device:    ${info.device ?? 'cpu'}`,
    `simd:      ${info.simd ?? 'n/a'}`,
    `threads:   ${info.threads ?? 'n/a'}`,
    `self-test: ${info.selfTest.ok ? 'ok' : 'FAILED'}`,
    ...info.selfTest.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name} (max abs error ${c.maxAbsError.toExponential(2)})`),
    ...info.warnings.map((w) => `note: ${w}`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  if (!info.selfTest.ok) process.exitCode = 1;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        await commandRun(rest);
        break;
      case 'doctor':
        await commandDoctor(rest);
        break;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP + '\n');
        break;
      default:
        throw new UserError(`unknown command '${command}' (commands: run, doctor, help)`);
    }
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    const inner = e instanceof HookError ? e.cause : e;
    if (isUserError(inner)) {
      process.stderr.write(`absnas: ${e instanceof HookError ? e.message : inner.message}\n`);
      return 2;
    }
    process.stderr.write(`absnas: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(String(e) + '\n');
      process.exit(1);
    },
  );
}
