/**
 * Where a training step's time goes, per tfjs kernel: the benchmark's models
 * (bench/absnas-models.js), each kernel call timed on the wall clock.
 *
 *   node bench/profile-kernels.js [nb201|mbconv|darts] [--steps 3] [--warmup 2] [--backend wasm] [--top 25]
 *
 * Prints the mean step time, then per kernel (split at 64k elements into
 * "big" and "small" calls) its milliseconds and calls per step. Kernels that
 * call other kernels (the wasm fill-ins compose XNNPACK ones) are counted at
 * both levels, so the column can sum to more than the step. Then the
 * native kernel calls per step by the thread count they ran on. Set
 * ABSNAS_NATIVE=0 / ABSNAS_WASM_HELPER=0 to profile without the native
 * kernels / the helper thread. Needs the build (`npx tsc -b`).
 */
'use strict';
const path = require('path');
const core = require(path.join(__dirname, '..', 'core', 'dist'));
const { MODELS, timeSteps } = require('./absnas-models');
const { tf } = core;

function options() {
  const a = process.argv.slice(2);
  const o = { workload: 'nb201', steps: 3, warmup: 2, backend: 'wasm', top: 25, batch: 64 };
  let i = 0;
  if (a[0] && !a[0].startsWith('--')) o.workload = a[i++];
  for (; i < a.length; i += 2) {
    const k = a[i].replace(/^--/, '');
    if (!(k in o)) throw new Error(`unknown option ${a[i]}`);
    o[k] = k === 'backend' ? a[i + 1] : Number(a[i + 1]);
  }
  if (!MODELS[o.workload]) throw new Error(`unknown workload '${o.workload}'; expected ${Object.keys(MODELS).join(', ')}`);
  return o;
}

async function main() {
  const o = options();
  const info = await core.selectBackend(o.backend);
  const totals = new Map();
  const threads = new Map(); // native kernel calls by the thread count they ran on
  let recording = false;
  for (const k of tf.getKernelsForBackend(info.name)) {
    const inner = k.kernelFunc;
    k.kernelFunc = (args) => {
      if (!recording) return inner(args);
      const calls = core.nativeKernelCalls();
      const t0 = performance.now();
      const out = inner(args);
      const ms = performance.now() - t0;
      if (core.nativeKernelCalls() > calls) {
        const n = core.nativeKernelsInfo().lastThreads;
        threads.set(n, (threads.get(n) ?? 0) + 1);
      }
      const size = Math.max(0, ...Object.values(args.inputs).map((t) => (t ? t.shape.reduce((p, q) => p * q, 1) : 0)));
      const key = `${k.kernelName}${size >= 65536 ? ' [big]' : ' [small]'}`;
      const e = totals.get(key) ?? { ms: 0, calls: 0 };
      e.ms += ms;
      e.calls++;
      totals.set(key, e);
      return out;
    };
  }
  const model = MODELS[o.workload](new core.Rng(1));
  await timeSteps(model, { ...o, steps: 0 });
  recording = true;
  const times = await timeSteps(model, { ...o, warmup: 0 });
  recording = false;
  const step = times.reduce((a, b) => a + b, 0) / times.length;
  const native = info.native && core.nativeKernelCalls() > 0 ? `, native ${info.native.library} (${info.native.threads} threads)` : '';
  console.log(`${o.workload}: ${step.toFixed(1)} ms per step (batch ${o.batch}, ${(o.batch * 1000 / step).toFixed(1)} img/s), backend ${info.name}${native}, mean of ${o.steps} steps`);
  console.log('kernel                                   ms/step  calls/step');
  const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms).slice(0, o.top);
  for (const [name, e] of rows) {
    console.log(`${name.padEnd(40)} ${(e.ms / o.steps).toFixed(1).padStart(7)} ${(e.calls / o.steps).toFixed(0).padStart(11)}`);
  }
  if (threads.size) {
    const byCount = [...threads].sort((a, b) => a[0] - b[0]).map(([n, c]) => `${n}: ${(c / o.steps).toFixed(0)}`);
    console.log(`native kernel calls per step by thread count (the load decides unless ABSNAS_NATIVE_THREADS is set): ${byCount.join(', ')}`);
  }
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
