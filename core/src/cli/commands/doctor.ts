import { BACKEND_CHOICES, BackendChoice, describeAdapter, probeWebgpu, selectBackend, wasmHelperEnabled } from '../../backend';
import { parseArgs } from '../args';
import type { Command } from '../command';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'show the compute backend absnas picks and its self-test',
  usage: `absnas doctor [--backend ${BACKEND_CHOICES.join('|')}]`,
  async run(argv) {
    const args = parseArgs(argv, new Set(['--backend']));
    const choice = (args.flags.get('--backend') as BackendChoice | undefined) ?? 'auto';
    const info = await selectBackend(choice);
    // the WebGPU adapter, also when another backend was picked (probed once per process)
    const web = info.adapter ? { ok: true as const, adapter: info.adapter } : await probeWebgpu();
    const lines = [
      `backend:   ${info.name} (from ${info.package}, asked: ${info.choice})`,
      `device:    ${info.device ?? 'cpu'}${info.package === '@tensorflow/tfjs-node-gpu' && info.device === 'gpu' ? ' (CUDA, through TensorFlow)' : ''}`,
      `webgpu:    ${web.ok ? `${describeAdapter(web.adapter)}${info.name === 'webgpu' ? '' : web.adapter.kind === 'software' ? ', not used unless asked (--backend webgpu)' : ', not used'}` : web.error}`,
      `simd:      ${info.simd ?? 'n/a'}`,
      `threads:   ${info.threads ?? 'n/a'}${info.name === 'wasm' ? (wasmHelperEnabled() ? ' (+ a helper thread for large convolutions; ABSNAS_WASM_HELPER=0 turns it off)' : ' (helper thread off)') : ''}`,
      `self-test: ${info.selfTest.ok ? 'ok' : 'FAILED'}`,
      ...info.selfTest.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name} (max abs error ${c.maxAbsError.toExponential(2)})`),
      ...info.warnings.map((w) => `note: ${w}`),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    if (!info.selfTest.ok) process.exitCode = 1;
  },
};
