/**
 * The native kernels called directly (no tfjs), per geometry of the
 * benchmark's models: batch norm forward and gradient (NB201's three sizes)
 * and the depthwise filter gradient (the MBConv chain's four layers), each
 * the median of 9 timings of 5 back-to-back calls on warm data.
 *
 *   node bench/native-kernels.js [--threads N]   (N fixes the thread count; 0: from the load)
 *
 * Needs the native build (core/native/build/absnas_native.node).
 */
'use strict';
const path = require('path');

const addon = require(path.join(__dirname, '..', 'core', 'native', 'build', 'absnas_native.node'));
const i = process.argv.indexOf('--threads');
addon.setThreads(i > 0 ? Number(process.argv[i + 1]) : 0);

function median(f) {
  for (let k = 0; k < 5; k++) f();
  const ts = [];
  for (let r = 0; r < 9; r++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < 5; k++) f();
    ts.push(Number(process.hrtime.bigint() - t0) / 5e6);
  }
  return ts.sort((a, b) => a - b)[4];
}

const random = (n) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);

for (const [n, h, c] of [[64, 32, 16], [64, 16, 32], [64, 8, 64]]) {
  const rows = n * h * h;
  const x = random(rows * c), dy = random(rows * c), y = new Float32Array(rows * c), dx = new Float32Array(rows * c);
  const [m, v, s, s0, s1] = [0, 0, 0, 0, 0].map(() => new Float32Array(c));
  const f = median(() => addon.batchNormForward(rows, c, x, null, null, 1e-5, y, m, v, s));
  const b = median(() => addon.batchNormBackward(rows, c, dy, x, m, s, null, dx, s0, s1));
  console.log(`batch norm ${n}x${h}x${h}x${c}: forward ${f.toFixed(3)} ms, gradient ${b.toFixed(3)} ms (${addon.info().lastThreads} thread(s))`);
}

// MBConv's depthwise layers: [batch, in size, channels, out size, kernel, stride, padding]
for (const [n, ih, c, oh, k, st, p] of [[64, 32, 48, 16, 3, 2, 1], [64, 16, 144, 16, 5, 1, 2], [64, 16, 72, 8, 3, 2, 1], [64, 8, 240, 8, 5, 1, 2]]) {
  const dims = Int32Array.of(n, ih, ih, c, oh, oh, c, k, k, st, st, 1, 1, p, p, p, p);
  const x = random(n * ih * ih * c), dy = random(n * oh * oh * c), dw = new Float32Array(k * k * c);
  const t = median(() => addon.depthwise(2, dims, x, dy, dw));
  console.log(`depthwise filter gradient ${n}x${ih}x${ih}x${c}, ${k}x${k} stride ${st}: ${t.toFixed(3)} ms (${addon.convImpl(2, true, dims)}, ${addon.info().lastThreads} thread(s))`);
}
