/**
 * The absnas side of `npm run bench`: one workload per process, timed after a
 * warm-up as the median of repeated steps; prints one JSON line.
 *
 *   node bench/absnas-models.js WORKLOAD [--steps N] [--warmup N] [--backend B] [--batch N]
 *
 * WORKLOAD: nb201 | mbconv | darts | angle. The models are those of
 * bench/torch_models.py. A training step is the trainer's: tf.variableGrads
 * of the cross-entropy over the forward pass, then Sgd.step with the
 * global-norm gradient clip (5, the config default) and SGD (momentum 0.9,
 * Nesterov, weight decay 5e-4); the loss is read back once per step, as the trainer does once
 * per epoch, so that the step's work has finished when the clock stops.
 *
 * Needs the build (`npx tsc -b`).
 */
'use strict';
const path = require('path');
const root = path.resolve(__dirname, '..');
const core = require(path.join(root, 'core/dist'));
const { tf } = core;

const NB201_ARCH = '|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';
// (cin, cout, expand, kernel, stride), as in torch_models.py
const MBCONV_BLOCKS = [
  [16, 24, 3, 3, 2],
  [24, 24, 6, 5, 1],
  [24, 40, 3, 3, 2],
  [40, 40, 6, 5, 1],
];
const MBCONV_STEM = 16;
const MBCONV_HEAD = 128;
const DARTS_C = 16;
const DARTS_OPS = ['max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'dil_conv_3x3'];

function args() {
  const a = process.argv.slice(2);
  const out = { workload: a[0], steps: 10, warmup: 3, backend: 'wasm', batch: 64 };
  for (let i = 1; i < a.length; i += 2) {
    const k = a[i].replace(/^--/, '');
    out[k] = k === 'backend' ? a[i + 1] : Number(a[i + 1]);
  }
  return out;
}

// ------------------------------------------------------------------ models --
function nb201Model(rng) {
  const { Nb201Space } = require(path.join(root, 'plugins/space-nb201/dist'));
  const space = new Nb201Space({ channels: 16, cellsPerStage: 5 });
  const net = space.createSupernet({ height: 32, width: 32, channels: 3, numClasses: 10 }, rng);
  const arch = space.parse(NB201_ARCH);
  return {
    store: net.store,
    params: net.paramsOf(arch),
    forward: (x) => net.forward(x, arch, 'train'),
    space,
    net,
  };
}

function mbconvModel(rng) {
  const store = new core.ParamStore(rng);
  const convBn = (name, cin, cout, k, stride, depthwise) => ({
    conv: new core.Conv2d(store, `${name}.conv`, cin, cout, k, stride, Math.floor(k / 2), 1, depthwise),
    bn: new core.BatchNorm(store, `${name}.bn`, cout, true),
  });
  const run = (cb, x, act) => {
    const y = cb.bn.apply(cb.conv.apply(x), 'train');
    return act ? tf.relu6(y) : y;
  };
  const stem = convBn('stem', 3, MBCONV_STEM, 3, 1, false);
  const blocks = MBCONV_BLOCKS.map(([cin, cout, e, k, s], i) => ({
    residual: s === 1 && cin === cout,
    expand: convBn(`b${i}.expand`, cin, cin * e, 1, 1, false),
    dw: convBn(`b${i}.dw`, cin * e, cin * e, k, s, true),
    project: convBn(`b${i}.project`, cin * e, cout, 1, 1, false),
  }));
  const last = MBCONV_BLOCKS[MBCONV_BLOCKS.length - 1][1];
  const head = convBn('head', last, MBCONV_HEAD, 1, 1, false);
  const classifier = new core.Linear(store, 'classifier', MBCONV_HEAD, 10, true);
  const forward = (x) =>
    tf.tidy(() => {
      let h = run(stem, x, true);
      for (const b of blocks) {
        const y = run(b.project, run(b.dw, run(b.expand, h, true), true), false);
        h = b.residual ? tf.add(h, y) : y;
      }
      h = run(head, h, true);
      return classifier.apply(core.globalAvgPool(h));
    });
  return { store, params: [...store.params.keys()], forward };
}

function dartsModel(rng) {
  const store = new core.ParamStore(rng);
  const c = DARTS_C;
  const stemConv = new core.Conv2d(store, 'stem.conv', 3, c, 3, 1, 1);
  const stemBn = new core.BatchNorm(store, 'stem.bn', c, true);
  const dw = (name, k, dil) => new core.Conv2d(store, name, c, c, k, 1, dil * Math.floor(k / 2), dil, true);
  const pw = (name) => new core.Conv2d(store, name, c, c, 1, 1, 0);
  const bn = (name) => new core.BatchNorm(store, name, c, false);
  const sep = {
    dw1: dw('sep.dw1', 3, 1),
    pw1: pw('sep.pw1'),
    bn1: bn('sep.bn1'),
    dw2: dw('sep.dw2', 3, 1),
    pw2: pw('sep.pw2'),
    bn2: bn('sep.bn2'),
  };
  const dil = { dw: dw('dil.dw', 3, 2), pw: pw('dil.pw'), bn: bn('dil.bn') };
  const maxBn = bn('max_pool.bn');
  const avgBn = bn('avg_pool.bn');
  const alpha = tf.variable(tf.mul(tf.randomNormal([DARTS_OPS.length], 0, 1, 'float32', 3), 1e-3), true, 'darts.alpha');
  const classifier = new core.Linear(store, 'classifier', c, 10, true);
  const ops = {
    max_pool_3x3: (h) => maxBn.apply(tf.maxPool(h, 3, 1, 'same'), 'train'),
    // tfjs's avgPool averages over the real cells only (count_include_pad=False)
    avg_pool_3x3: (h) => avgBn.apply(tf.avgPool(h, 3, 1, 'same'), 'train'),
    skip_connect: (h) => h,
    sep_conv_3x3: (h) => {
      const a = sep.bn1.apply(sep.pw1.apply(sep.dw1.apply(tf.relu(h))), 'train');
      return sep.bn2.apply(sep.pw2.apply(sep.dw2.apply(tf.relu(a))), 'train');
    },
    dil_conv_3x3: (h) => dil.bn.apply(dil.pw.apply(dil.dw.apply(tf.relu(h))), 'train'),
  };
  const forward = (x) =>
    tf.tidy(() => {
      const h = stemBn.apply(stemConv.apply(x), 'train');
      const w = tf.unstack(tf.softmax(alpha));
      const mixed = tf.addN(DARTS_OPS.map((op, i) => tf.mul(ops[op](h), w[i])));
      return classifier.apply(core.globalAvgPool(mixed));
    });
  return { store, params: [...store.params.keys()], forward, extra: [alpha] };
}

// ------------------------------------------------------------------ timing --
function peakRssMiB() {
  return process.resourceUsage().maxRSS / 1024;
}

function median(v) {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function timeSteps(model, o) {
  const x = tf.tidy(() => tf.randomNormal([o.batch, 32, 32, 3], 0, 1, 'float32', 1));
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: o.batch }, (_, i) => i % 10), 'int32'), 10).toFloat());
  const sgd = new core.Sgd({ momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  const vars = model.params.map((n) => model.store.params.get(n));
  const extra = model.extra ?? [];
  const nameOf = new Map(vars.map((v, i) => [v.name, model.params[i]]));
  const all = new Map(model.store.params);
  for (const v of extra) {
    all.set(v.name, v);
    nameOf.set(v.name, v.name);
  }
  const step = () => {
    const { value, grads } = tf.variableGrads(() => core.crossEntropy(model.forward(x), y), [...vars, ...extra]);
    const named = {};
    for (const [k, t] of Object.entries(grads)) named[nameOf.get(k)] = t;
    sgd.step(all, named, 0.05, 5); // clip at 5, then SGD, as the trainer does
    for (const t of Object.values(named)) t.dispose();
    return value;
  };
  for (let i = 0; i < o.warmup; i++) {
    const v = step();
    await v.data();
    v.dispose();
  }
  const times = [];
  for (let i = 0; i < o.steps; i++) {
    const t0 = performance.now();
    const v = step();
    await v.data();
    times.push(performance.now() - t0);
    v.dispose();
  }
  tf.dispose([x, y]);
  sgd.dispose();
  return times;
}

async function angleAll(o) {
  const { AngleMetric } = require(path.join(root, 'plugins/metric-angle/dist'));
  const model = nb201Model(new core.Rng(1));
  const base = model.store.snapshot();
  // move the weights away from W0 (one training step)
  await timeSteps(model, { ...o, warmup: 0, steps: 1, batch: 16 });
  const candidates = new core.CandidateSet(model.space.choicePoints);
  const t0 = performance.now();
  const scorer = await new AngleMetric().prepare({
    space: model.space,
    supernet: model.net,
    candidates,
    base,
    data: undefined,
    rng: new core.Rng(2),
  });
  let count = 0;
  let best = -1;
  for (const arch of candidates.enumerate()) {
    best = Math.max(best, await scorer.score(arch));
    count++;
  }
  scorer.dispose?.();
  return { seconds: (performance.now() - t0) / 1000, children: count };
}

async function main() {
  const o = args();
  const info = await core.selectBackend(o.backend);
  const out = {
    side: 'absnas',
    workload: o.workload,
    backend: `${info.name}${info.simd ? ' simd' : ''}${info.adapter ? ` (${info.adapter.kind}: ${info.adapter.description})` : ''}`,
    threads: info.threads ?? null,
    selfTest: info.selfTest.ok,
  };
  if (o.workload === 'angle') {
    Object.assign(out, await angleAll(o));
  } else {
    const make = module.exports.MODELS[o.workload];
    if (!make) throw new Error(`unknown workload '${o.workload}'`);
    const times = await timeSteps(make(new core.Rng(1)), o);
    const m = median(times);
    Object.assign(out, { batch: o.batch, medianMs: m, imagesPerSecond: (o.batch * 1000) / m, stepsMs: times });
  }
  // the wasm helper thread (half of each large convolution): whether it took any
  out.helper = info.name === 'wasm' && core.wasmHelperJobs() > 0;
  out.helperJobs = core.wasmHelperJobs();
  // XNNPACK's threads when tfjs's threaded wasm build runs (ABSNAS_WASM_THREADS)
  out.wasmThreads = info.name === 'wasm' ? core.wasmThreadsActive() : 0;
  // absnas's native kernels (oneDNN convolutions, batch norm), when they ran
  out.native = info.native && core.nativeKernelCalls() > 0 ? info.native : null;
  out.peakRssMiB = peakRssMiB();
  out.tfjsBytes = tf.memory().numBytes;
  process.stdout.write(JSON.stringify(out) + '\n');
}

module.exports = { MODELS: { nb201: nb201Model, mbconv: mbconvModel, darts: dartsModel }, timeSteps };

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${e.stack || e}\n`);
    process.exit(1);
  });
}
