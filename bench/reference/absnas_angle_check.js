#!/usr/bin/env node
/**
 * absnas's angle metric on weights trained by the PyTorch reference
 * (bench/reference/nb201_angle_rank.py --export-weights PREFIX --save-angles A):
 * loads W0 and Wt into an absnas NB201 supernet of the same size, scores all
 * 15,625 children with @absnas/metric-angle (through the space's weight
 * layout), and compares with the reference's angles of the same step.
 *
 * Usage (after `npx tsc -b`):
 *   node bench/reference/absnas_angle_check.js PREFIX A-STEP.npy [table.csv]
 *
 * The tensors are copied element by element in PyTorch's order: the angle
 * only uses inner products of whole tensors, which do not depend on the order
 * of the elements, so the layout is irrelevant here (the supernet is not run).
 * Children whose every path is cut are scored 0 by absnas (a documented
 * choice) and by their fixed parts by the reference; they are reported
 * separately.
 */
const fs = require('fs');
const { Rng, kendallTauB, Nb201Benchmark, tf } = require('@absnas/core');
const { Nb201Space, NB201_OPS, livePaths } = require('@absnas/space-nb201');
const { AngleMetric } = require('@absnas/metric-angle');

function readNpyFloat64(file) {
  const buf = fs.readFileSync(file);
  const headerLen = buf.readUInt16LE(8);
  const header = buf.toString('latin1', 10, 10 + headerLen);
  if (!header.includes("'<f8'")) throw new Error(`${file}: expected little-endian float64, got ${header}`);
  const start = 10 + headerLen;
  return new Float64Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + buf.length));
}

async function main() {
  const [prefix, anglesFile, csvArg] = process.argv.slice(2);
  if (!prefix || !anglesFile) {
    console.error('usage: node bench/reference/absnas_angle_check.js PREFIX ANGLES.npy [table.csv]');
    process.exit(2);
  }
  await tf.setBackend('cpu');
  const manifest = JSON.parse(fs.readFileSync(`${prefix}.json`, 'utf8'));
  const w0All = new Float32Array(new Uint8Array(fs.readFileSync(`${prefix}-w0.bin`)).buffer);
  const wtAll = new Float32Array(new Uint8Array(fs.readFileSync(`${prefix}-wt.bin`)).buffer);
  const space = new Nb201Space({ channels: manifest.channels, cellsPerStage: manifest.cellsPerStage });
  const supernet = space.createSupernet({ height: 32, width: 32, channels: 3, numClasses: 10 }, new Rng(0));
  const base = new Map();
  const loaded = new Set();
  for (const e of manifest.params) {
    const v = supernet.store.get(e.name);
    if (v.size !== e.size) throw new Error(`${e.name}: absnas has ${v.size} elements, reference ${e.size}`);
    const w0 = w0All.slice(e.offset, e.offset + e.size);
    const wt = wtAll.slice(e.offset, e.offset + e.size);
    base.set(e.name, w0);
    v.assign(tf.tensor(wt, v.shape));
    loaded.add(e.name);
  }
  const missing = [...supernet.store.params.keys()].filter((n) => !loaded.has(n));
  console.log(`loaded ${loaded.size} tensors; absnas parameters without a reference value: ${missing.length}${missing.length ? ' (' + missing.slice(0, 5).join(', ') + ')' : ''}`);

  const scorer = await new AngleMetric().prepare({ space, supernet, base });
  const ref = readNpyFloat64(anglesFile);
  // the reference's enumeration: edge 0 is the most significant base-5 digit
  const n = 5 ** 6;
  if (ref.length !== n) throw new Error(`expected ${n} reference angles, got ${ref.length}`);
  const ours = new Float64Array(n);
  const archs = [];
  let maxErr = 0;
  let cut = 0;
  for (let code = 0; code < n; code++) {
    const arch = [];
    let c = code;
    for (let k = 0; k < 6; k++) {
      arch.unshift(NB201_OPS[c % 5]);
      c = Math.floor(c / 5);
    }
    archs.push(arch);
    ours[code] = scorer.score(arch);
    if (livePaths(arch).length === 0) {
      cut++;
      continue;
    }
    maxErr = Math.max(maxErr, Math.abs(ours[code] - ref[code]));
  }
  console.log(`children with a live path: max |absnas angle - reference angle| = ${maxErr.toExponential(2)}; all-paths-cut children: ${cut}`);
  const bench = Nb201Benchmark.load(csvArg); // default: the table that ships with absnas
  const truth = archs.map((a) => bench.lookup(space.format(a), 'c10_test_200'));
  console.log(`Kendall tau-b vs c10_test_200: absnas ${kendallTauB(Array.from(ours), truth).toFixed(4)}, reference ${kendallTauB(Array.from(ref), truth).toFixed(4)}`);
  supernet.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
