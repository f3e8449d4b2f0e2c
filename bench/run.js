/**
 * `npm run bench`: absnas against PyTorch (CPU) on the same machine, in one run.
 *
 *   node bench/run.js [--rounds 3] [--steps 10] [--warmup 3] [--backend auto]
 *                     [--workloads nb201,mbconv,darts,angle] [--torch-threads 0]
 *                     [--wasm-helper default|off|on|both]
 *                     [--wasm-threads default|1|N|both] [--native default|off|both]
 *                     [--loaded-rounds 1] [--hogs 0] [--json FILE]
 *
 * --loaded-rounds: after the normal rounds, each training workload runs this
 * many rounds on a loaded machine: --hogs busy-looping processes (default:
 * one per core) run beside both sides for the whole round. In such a round
 * absnas runs as it starts by default and single-threaded (native kernels on
 * one thread, no wasm helper: its own single-threaded speed), PyTorch with
 * both thread counts. Reported: absnas loaded against its own
 * single-threaded speed in the same round, and against the faster PyTorch.
 *
 * --native: absnas on wasm with its native kernels (oneDNN convolutions and
 * batch norm, core/native) as it starts by default where they are built,
 * without them (ABSNAS_NATIVE=0: XNNPACK and the fill-ins), or both in each
 * round.
 *
 * --wasm-helper: absnas on wasm as it starts by default (the helper thread
 * that takes half of each large convolution is on with 2 cores or more),
 * without it, with it (ABSNAS_WASM_HELPER=0/1), or both in each round, each
 * with its own ratio.
 *
 * --wasm-threads: the wasm build as it starts by default, the
 * single-threaded build (1, with the helper thread as --wasm-helper says),
 * tfjs's threaded build with N threads (ABSNAS_WASM_THREADS=N; the helper
 * is off beside it), or both (1 and one thread per core) in each round. With
 * more than one variant per round their order alternates between rounds, and
 * each gets its own row and ratio.
 *
 * For every workload and round it runs the absnas process and the PyTorch
 * process one after the other (alternating which goes first), each timing
 * its own steps after a warm-up; a round's ratio is absnas/PyTorch of the
 * two medians, and the figure reported is the median over rounds, so that a
 * burst of load on a shared machine hits both sides alike. Each workload
 * runs in fresh processes, so peak RSS is per workload.
 *
 * PyTorch runs twice per round: with one thread per core (its default on an
 * idle machine) and with one thread. On a machine shared with other work,
 * OpenMP's spinning barriers can make the multi-threaded run several times
 * slower than the single-threaded one, so the ratio is taken against the
 * faster of the two in the same round (the harder baseline).
 *
 * PyTorch is Debian's python3-torch, run with Debian's /usr/bin/python3 (not
 * a pyenv python that may be first on PATH); it is installed with apt-get
 * when missing and this process runs as root.
 */
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const HERE = __dirname;
const PYTHON = '/usr/bin/python3';
const WORKLOADS = ['nb201', 'mbconv', 'darts', 'angle'];
const TITLES = {
  nb201: 'NB201 supernet, single-path step (C=16, N=5, batch 64, 32x32x3)',
  mbconv: 'MBConv chain step (4 blocks, batch 64, 32x32x3)',
  darts: 'DARTS mixed-op step (one edge, 5 ops, C=16, batch 64, 32x32x3)',
  angle: 'angle of all 15,625 NB201 children (seconds)',
};

function options() {
  const o = { rounds: 3, steps: 10, warmup: 3, backend: 'auto', workloads: WORKLOADS.join(','), 'torch-threads': 0, 'wasm-helper': 'default', 'wasm-threads': 'default', native: 'default', 'loaded-rounds': 1, hogs: 0, json: '' };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i += 2) {
    const k = a[i].replace(/^--/, '');
    if (!(k in o)) throw new Error(`unknown option ${a[i]}; known: ${Object.keys(o).map((x) => '--' + x).join(' ')}`);
    o[k] = typeof o[k] === 'number' ? Number(a[i + 1]) : a[i + 1];
  }
  o.workloads = o.workloads.split(',').filter(Boolean);
  if (!['default', 'off', 'on', 'both'].includes(o['wasm-helper'])) throw new Error(`--wasm-helper must be default, off, on or both`);
  if (!['default', 'off', 'both'].includes(o.native)) throw new Error(`--native must be default, off or both`);
  if (!/^(default|both|[0-9]+)$/.test(o['wasm-threads'])) throw new Error(`--wasm-threads must be default, a number or both`);
  for (const w of o.workloads) if (!WORKLOADS.includes(w)) throw new Error(`unknown workload ${w}`);
  return o;
}

function ensureTorch() {
  const probe = () => spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (!fs.existsSync(PYTHON) || probe().status !== 0) {
    if (typeof process.getuid === 'function' && process.getuid() === 0) {
      console.log('bench: installing python3-torch (Debian) ...');
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      let r = spawnSync('apt-get', ['install', '-y', '-q', 'python3-torch'], { stdio: 'inherit', env });
      if (r.status !== 0) {
        spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
        r = spawnSync('apt-get', ['install', '-y', '-q', 'python3-torch'], { stdio: 'inherit', env });
      }
    }
    const again = probe();
    if (again.status !== 0) {
      throw new Error(`PyTorch is not available to ${PYTHON}: install Debian's python3-torch (apt-get install -y python3-torch)\n${again.stderr ?? ''}`);
    }
  }
}

function runJson(cmd, argv, env) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ...env } });
  const line = (r.stdout || '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || !line) {
    throw new Error(`${cmd} ${argv.join(' ')} failed (exit ${r.status}):\n${(r.stderr || '').slice(-4000)}`);
  }
  return JSON.parse(line);
}

/**
 * Busy-looping processes, one per `count`, that run until stop() (also on
 * exit): the fixed load of a loaded round.
 */
function startHogs(count) {
  const hogs = [];
  for (let i = 0; i < count; i++) {
    hogs.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  }
  const stop = () => {
    for (const h of hogs) if (h.exitCode == null && h.signalCode == null) h.kill('SIGKILL');
  };
  process.once('exit', stop);
  return { count, stop };
}

function median(v) {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** How an absnas run used the cores. */
function variantLabel(x) {
  if (x.native) return `native ${x.native.library} kernels, ${x.native.threads} threads (${x.native.isa}) + wasm`;
  if (x.wasmThreads > 0) return `${x.wasmThreads} threads (threaded wasm build)`;
  if (x.helper) return '2 threads (wasm + the helper thread)';
  return `${x.threads ?? '?'} thread`;
}

const fmt = (v, d = 1) => (v == null || Number.isNaN(v) ? '-' : v.toFixed(d));

function main() {
  const o = options();
  ensureTorch();
  const load0 = os.loadavg();
  console.log(`bench: ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? '?'}), load average ${load0.map((l) => l.toFixed(2)).join(' ')}`);
  if (load0[0] > os.cpus().length * 0.5) console.log('bench: note: the machine is busy; ratios (same-round pairs) are more reliable than absolute figures');
  const absnasArgs = (w) => [path.join(HERE, 'absnas-models.js'), w, '--steps', String(o.steps), '--warmup', String(o.warmup), '--backend', o.backend];
  const torchArgs = (w, threads) => [path.join(HERE, 'torch_models.py'), w, '--steps', String(o.steps), '--warmup', String(o.warmup), '--threads', String(threads)];
  const torchThreads = o['torch-threads'] > 0 ? [o['torch-threads']] : [...new Set([os.cpus().length, 1])];
  const helperModes = { default: [undefined], off: ['0'], on: ['1'], both: ['0', '1'] }[o['wasm-helper']];
  const nativeModes = { default: [undefined], off: ['0'], both: [undefined, '0'] }[o.native];
  const wt = o['wasm-threads'];
  const threadModes = wt === 'default' ? [undefined] : wt === 'both' ? ['1', String(os.cpus().length)] : [wt];
  // every absnas variant of a round: its environment
  const variantEnvs = [];
  for (const nat of nativeModes) {
    for (const t of threadModes) {
      for (const h of helperModes) {
        const env = {};
        if (nat !== undefined) env.ABSNAS_NATIVE = nat;
        if (h !== undefined) env.ABSNAS_WASM_HELPER = h;
        if (t !== undefined) env.ABSNAS_WASM_THREADS = t;
        // the helper is off beside the threaded build: one variant is enough
        if (t !== undefined && Number(t) >= 2 && variantEnvs.some((e) => e.ABSNAS_WASM_THREADS === t && e.ABSNAS_NATIVE === nat)) continue;
        variantEnvs.push(env);
      }
    }
  }
  const hogCount = o.hogs > 0 ? o.hogs : os.cpus().length;
  /** Rounds beside a fixed CPU load: absnas as it starts by default and single-threaded, PyTorch on 1 and N threads. */
  const loadedRounds = (w) => {
    const single = { ABSNAS_NATIVE_THREADS: '1', ABSNAS_WASM_HELPER: '0' };
    const out = [];
    for (let r = 0; r < o['loaded-rounds']; r++) {
      const hogs = startHogs(hogCount);
      try {
        const load = os.loadavg()[0];
        const envs = r % 2 === 0 ? [{}, single] : [single, {}];
        const runs = envs.map((env) => runJson(process.execPath, absnasArgs(w), env));
        if (r % 2 === 1) runs.reverse();
        const ts = torchThreads.map((n) => runJson(PYTHON, torchArgs(w, n)));
        const t = ts.reduce((b, x) => (x.imagesPerSecond > b.imagesPerSecond ? x : b));
        const [a, a1] = runs;
        out.push({ hogs: hogCount, loadBefore: load, loadAfter: os.loadavg()[0], absnas: a, absnasSingleThread: a1, torch: t, torchRuns: ts });
        console.log(
          `bench: ${w} loaded round ${r + 1}/${o['loaded-rounds']} (${hogCount} busy loops beside): absnas ${fmt(a.imagesPerSecond)} img/s, ` +
            `absnas single-threaded ${fmt(a1.imagesPerSecond)} img/s (x${fmt(a.imagesPerSecond / a1.imagesPerSecond, 2)}), ` +
            `pytorch ${ts.map((x) => `${fmt(x.imagesPerSecond)} img/s (${x.threads} thr)`).join(', ')}, ratio ${fmt(a.imagesPerSecond / t.imagesPerSecond, 3)}`,
        );
      } finally {
        hogs.stop();
      }
    }
    return out;
  };
  const results = {};
  for (const w of o.workloads) {
    const rounds = [];
    for (let r = 0; r < o.rounds; r++) {
      const runA = () => {
        const order = variantEnvs.map((_, i) => i);
        if (r % 2 === 1) order.reverse();
        const runs = [];
        for (const i of order) runs[i] = runJson(process.execPath, absnasArgs(w), variantEnvs[i]);
        return { ...runs[0], variants: runs };
      };
      const runT = () => torchThreads.map((n) => runJson(PYTHON, torchArgs(w, n)));
      let a;
      let ts;
      if (r % 2 === 0) {
        a = runA();
        ts = runT();
      } else {
        ts = runT();
        a = runA();
      }
      // the faster PyTorch configuration of this round
      const t = ts.reduce((b, x) => (w === 'angle' ? (x.seconds < b.seconds ? x : b) : x.imagesPerSecond > b.imagesPerSecond ? x : b));
      rounds.push({ absnas: a, torch: t, torchRuns: ts });
      const line =
        w === 'angle'
          ? `absnas ${fmt(a.seconds, 2)} s, pytorch ${fmt(t.seconds, 2)} s, ratio ${fmt(t.seconds / a.seconds, 3)} (speed)`
          : `absnas ${a.variants.map((x) => `${fmt(x.imagesPerSecond)} img/s (${variantLabel(x)})`).join(', ')}, pytorch ${ts.map((x) => `${fmt(x.imagesPerSecond)} img/s (${x.threads} thr)`).join(', ')}, ratio ${fmt(a.imagesPerSecond / t.imagesPerSecond, 3)}`;
      console.log(`bench: ${w} round ${r + 1}/${o.rounds}: ${line}`);
    }
    const last = rounds[rounds.length - 1];
    const summary = {
      title: TITLES[w],
      absnasBackend: last.absnas.backend,
      absnasThreads: last.absnas.threads,
      torchBackend: last.torch.backend,
      torchThreads: [...new Set(rounds.map((x) => x.torch.threads))],
      torchVersion: last.torch.torch,
      absnasPeakRssMiB: Math.max(...rounds.map((x) => x.absnas.peakRssMiB)),
      torchPeakRssMiB: Math.max(...rounds.map((x) => x.torch.peakRssMiB)),
    };
    if (w === 'angle') {
      summary.absnasSeconds = median(rounds.map((x) => x.absnas.seconds));
      summary.torchSeconds = median(rounds.map((x) => x.torch.seconds));
      // speed: the median of the rounds' PyTorch/absnas ratios, like the training workloads' ratio
      summary.ratio = median(rounds.map((x) => x.torch.seconds / x.absnas.seconds));
      summary.children = last.absnas.children;
    } else {
      summary.absnasImagesPerSecond = median(rounds.map((x) => x.absnas.imagesPerSecond));
      summary.torchImagesPerSecond = median(rounds.map((x) => x.torch.imagesPerSecond));
      summary.ratio = median(rounds.map((x) => x.absnas.imagesPerSecond / x.torch.imagesPerSecond));
      summary.variants = variantEnvs.map((env, i) => ({
        env,
        label: variantLabel(last.absnas.variants[i]),
        imagesPerSecond: median(rounds.map((x) => x.absnas.variants[i].imagesPerSecond)),
        perRound: rounds.map((x) => x.absnas.variants[i].imagesPerSecond),
        ratio: median(rounds.map((x) => x.absnas.variants[i].imagesPerSecond / x.torch.imagesPerSecond)),
      }));
      for (const n of torchThreads) {
        summary[`torchImagesPerSecond${n}T`] = median(rounds.map((x) => x.torchRuns.find((y) => y.threads === n).imagesPerSecond));
      }
    }
    summary.rounds = rounds;
    if (w !== 'angle' && o['loaded-rounds'] > 0) summary.loaded = loadedRounds(w);
    results[w] = summary;
  }
  const load1 = os.loadavg();

  console.log('');
  const tCols = torchThreads.map((n) => `PyTorch ${n} thread${n === 1 ? '' : 's'}`);
  console.log(`| workload | absnas | ${tCols.join(' | ')} | absnas / best PyTorch | absnas peak RSS | PyTorch peak RSS |`);
  console.log(`| --- | --- | ${tCols.map(() => '---').join(' | ')} | --- | --- | --- |`);
  for (const [w, s] of Object.entries(results)) {
    if (w === 'angle') {
      const per = torchThreads.map((n) => `${fmt(median(s.rounds.map((x) => x.torchRuns.find((y) => y.threads === n).seconds)), 2)} s`);
      console.log(`| ${s.title} | ${fmt(s.absnasSeconds, 2)} s | ${per.join(' | ')} | ${fmt(s.ratio, 3)} (speed) | ${fmt(s.absnasPeakRssMiB, 0)} MiB | ${fmt(s.torchPeakRssMiB, 0)} MiB |`);
    } else {
      const first = s.variants.length > 1 ? `, absnas ${s.variants[0].label}` : '';
      console.log(
        `| ${s.title}${first} | ${fmt(s.absnasImagesPerSecond)} img/s | ${torchThreads.map((n) => `${fmt(s[`torchImagesPerSecond${n}T`])} img/s`).join(' | ')} | ${fmt(s.ratio, 3)} | ${fmt(s.absnasPeakRssMiB, 0)} MiB | ${fmt(s.torchPeakRssMiB, 0)} MiB |`,
      );
      for (const v of s.variants.slice(1)) {
        console.log(`| ${s.title}, absnas ${v.label} | ${fmt(v.imagesPerSecond)} img/s | ${torchThreads.map(() => '').join(' | ')} | ${fmt(v.ratio, 3)} | | |`);
      }
      if (s.variants.length > 1) {
        for (const v of s.variants) console.log(`|   ${v.label}, per round | ${v.perRound.map((x) => fmt(x)).join(', ')} img/s |`);
      }
    }
  }
  const loaded = Object.values(results).filter((s) => s.loaded && s.loaded.length > 0);
  if (loaded.length > 0) {
    console.log('');
    console.log(`Loaded machine (${hogCount} busy loops beside each side; medians over ${o['loaded-rounds']} round(s)):`);
    console.log('| workload | absnas | absnas single-threaded | absnas / its single-threaded | PyTorch (faster of its runs) | absnas / PyTorch | load average |');
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const s of loaded) {
      const m = (f) => median(s.loaded.map(f));
      s.loadedSummary = {
        absnasImagesPerSecond: m((x) => x.absnas.imagesPerSecond),
        absnasSingleThreadImagesPerSecond: m((x) => x.absnasSingleThread.imagesPerSecond),
        ratioToOwnSingleThread: m((x) => x.absnas.imagesPerSecond / x.absnasSingleThread.imagesPerSecond),
        torchImagesPerSecond: m((x) => x.torch.imagesPerSecond),
        ratio: m((x) => x.absnas.imagesPerSecond / x.torch.imagesPerSecond),
      };
      const l = s.loadedSummary;
      const loads = s.loaded.map((x) => `${x.loadBefore.toFixed(1)}-${x.loadAfter.toFixed(1)}`).join(', ');
      console.log(
        `| ${s.title} | ${fmt(l.absnasImagesPerSecond)} img/s | ${fmt(l.absnasSingleThreadImagesPerSecond)} img/s | ${fmt(l.ratioToOwnSingleThread, 3)} | ${fmt(l.torchImagesPerSecond)} img/s | ${fmt(l.ratio, 3)} | ${loads} |`,
      );
    }
  }
  const any = Object.values(results)[0];
  if (any) {
    console.log('');
    const v = any.rounds[0].absnas.variants;
    console.log(`absnas: backend ${any.absnasBackend}, ${v.map(variantLabel).join('; also ')}`);
    console.log(`PyTorch ${any.torchVersion}: ${any.torchBackend}, torch.get_num_threads() = ${torchThreads.join(' and ')} (the faster per round is the baseline)`);
  }
  console.log(`medians over ${o.rounds} round(s) of ${o.steps} steps after ${o.warmup} warm-up steps; load average before ${load0.map((l) => l.toFixed(2)).join(' ')}, after ${load1.map((l) => l.toFixed(2)).join(' ')}`);
  if (o.json) {
    fs.writeFileSync(o.json, JSON.stringify({ date: new Date().toISOString(), options: o, loadBefore: load0, loadAfter: load1, results }, null, 2));
    console.log(`bench: results written to ${o.json}`);
  }
}

try {
  main();
} catch (e) {
  console.error(`bench: ${e.message}`);
  process.exit(1);
}
