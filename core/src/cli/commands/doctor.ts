import { BACKEND_CHOICES, BackendChoice, BackendInfo, describeAdapter, probeWebgpu, selectBackend, wasmHelperEnabled, wasmThreadsActive } from '../../backend';
import { parseArgs } from '../args';
import type { Command } from '../command';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'show the compute backend absnas picks and its self-test',
  usage: `absnas doctor [--backend ${BACKEND_CHOICES.join('|')}]`,
  options: { backend: 'string' },
  async run(argv) {
    const args = parseArgs(argv, this.options);
    const choice = (args.flags.get('--backend') as BackendChoice | undefined) ?? 'auto';
    const info = await selectBackend(choice);
    // the WebGPU adapter, also when another backend was picked (probed once per process)
    const web = info.adapter ? { ok: true as const, adapter: info.adapter } : await probeWebgpu();
    const lines = [
      `backend:   ${info.name} (from ${info.package}, asked: ${info.choice})`,
      `device:    ${info.device ?? 'cpu'}${info.package === '@tensorflow/tfjs-node-gpu' && info.device === 'gpu' ? ' (CUDA, through TensorFlow)' : ''}`,
      `webgpu:    ${web.ok ? `${describeAdapter(web.adapter)}${info.name === 'webgpu' ? '' : web.adapter.kind === 'software' ? ', not used unless asked (--backend webgpu)' : ', not used'}` : web.error}`,
      `simd:      ${info.simd ?? 'n/a'}`,
      `threads:   ${info.threads ?? 'n/a'}${wasmThreadsNote(info)}`,
      `native:    ${nativeNote(info)}`,
      `self-test: ${info.selfTest.ok ? 'ok' : 'FAILED'}`,
      ...info.selfTest.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name} (max abs error ${c.maxAbsError.toExponential(2)})`),
      ...info.warnings.map((w) => `note: ${w}`),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    if (!info.selfTest.ok) process.exitCode = 1;
  },
};

/** absnas's native kernels beside the wasm backend: what runs, or why not. */
function nativeNote(info: BackendInfo): string {
  if (info.name !== 'wasm') return 'n/a';
  if (info.native) {
    return `${info.native.library} (${info.native.isa}, ${info.native.threads} threads): convolutions, batch norm, ReLU and max-pool gradients (ABSNAS_NATIVE=0 turns them off)`;
  }
  return `not used: ${info.nativeError ?? 'unknown'}`;
}

/** How the wasm backend uses the cores: tfjs's threaded build, or one thread and perhaps the helper. */
function wasmThreadsNote(info: BackendInfo): string {
  if (info.name !== 'wasm') return '';
  if (wasmThreadsActive() > 0) return " (tfjs's threaded wasm build, XNNPACK's thread pool; ABSNAS_WASM_THREADS=1 for the single-threaded build)";
  const helper = info.native
    ? '; the native kernels use the cores'
    : wasmHelperEnabled()
    ? ' + a helper thread for large convolutions (ABSNAS_WASM_HELPER=0 turns it off)'
    : ', helper thread off';
  return ` (single-threaded wasm build${helper}; ABSNAS_WASM_THREADS=<n> for tfjs's threaded build)`;
}
