import { BackendChoice, selectBackend } from '../../backend';
import { parseArgs } from '../args';
import type { Command } from '../command';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'show the compute backend absnas picks and its self-test',
  usage: 'absnas doctor [--backend auto|tensorflow-gpu|tensorflow|wasm|cpu]',
  async run(argv) {
    const args = parseArgs(argv, new Set(['--backend']));
    const choice = (args.flags.get('--backend') as BackendChoice | undefined) ?? 'auto';
    const info = await selectBackend(choice);
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
  },
};
