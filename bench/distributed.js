#!/usr/bin/env node
/**
 * One against two `absnas worker`s on a small comparison matrix, on this
 * machine, each worker on one thread (ABSNAS_NATIVE_THREADS=1):
 *
 *   node bench/distributed.js [--seeds 2] [--epochs 2] [--train 512] [--rounds 1]
 *
 * Starts a redis-server of its own (127.0.0.1, a free port, no
 * persistence), then times, on the same preset:
 *   local:     `absnas compare` (no queue), the baseline;
 *   1 worker:  `absnas compare --queue` with one worker;
 *   2 workers: the same with two.
 * Prints the wall times, the scaling efficiency (1-worker time / (2 x
 * 2-worker time)), and the queue's overhead per cell ((1-worker time - local
 * time) / cells: enqueuing, polling, a child process per job). As a control,
 * what the machine itself gives two processes: two local compares at once
 * against one (a speed-up of 2 where two cores are free for them). Each variant
 * writes its own directory; the tables are checked to be the same. With
 * --rounds N each variant runs N times, in a rotated order each round, and
 * the medians are reported (a shared machine's load then hits all three
 * alike). Run after a build (npm run build).
 */
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'core/dist/cli/main.js');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const seeds = option('seeds', 2);
const epochs = option('epochs', 2);
const train = option('train', 512);
const rounds = option('rounds', 1);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-bench-distributed-'));
const env = { ...process.env, ABSNAS_NATIVE_THREADS: '1', ABSNAS_QUEUE_POLL_MS: '200', FORCE_COLOR: '0' };
const spos = (e) => ({
  plugin: '@absnas/spos',
  options: { epochs: e, train: { batchSize: 32 }, evolution: { population: 4, iterations: 2, topK: 2, crossovers: 2, mutations: 2 }, recalibrationBatches: 1, evalBatchSize: 32 },
});
const preset = path.join(work, 'matrix.json');
fs.writeFileSync(
  preset,
  JSON.stringify({
    extends: path.join(ROOT, 'presets/quickstart.json'),
    name: 'bench-distributed',
    data: { dataset: 'synthetic', trainSize: train, valSize: 64, testSize: 32 },
    space: { plugin: '@absnas/space-nb201', options: { channels: 4, cellsPerStage: 1 } },
    shrink: { epochsBeforeFirstRound: epochs, train: { batchSize: 32 } },
    compare: { searchers: [spos(epochs), spos(epochs + 1)], seeds: Array.from({ length: seeds }, (_, i) => i) },
  }),
);
const cells = 2 * 2 * seeds;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function startRedis(port) {
  return new Promise((resolve, reject) => {
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', work, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) resolve(c);
    });
    c.on('exit', (code) => reject(new Error(`redis-server exited (${code})`)));
  });
}

function timedAsync(args) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const c = spawn(process.execPath, [CLI, ...args, '--quiet'], { cwd: ROOT, env, stdio: 'ignore' });
    c.on('exit', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - t0) / 1e9) : reject(new Error(`absnas ${args.join(' ')} failed (${code})`))));
  });
}

function timed(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, ...args, '--quiet'], { cwd: ROOT, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`absnas ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function distributed(url, workers, out) {
  const procs = Array.from({ length: workers }, (_, i) =>
    spawn(process.execPath, [CLI, 'worker', '--queue', url, '--name', `bench-${i + 1}`, '--quiet'], { cwd: ROOT, env, stdio: 'ignore' }),
  );
  // the workers' own start-up (loading Node and BullMQ) is not the matrix's time
  await new Promise((r) => setTimeout(r, 1500));
  try {
    return timed(['compare', preset, '--queue', url, '--out', out]);
  } finally {
    for (const p of procs) p.kill('SIGKILL');
  }
}

function table(dir) {
  const j = JSON.parse(fs.readFileSync(path.join(dir, 'compare.json'), 'utf8'));
  delete j.timing;
  return JSON.stringify(j);
}

async function main() {
  const port = await freePort();
  const redis = await startRedis(port);
  const url = `redis://127.0.0.1:${port}/0`;
  try {
    console.log(
      `matrix: 2 searchers x 2 spaces x ${seeds} seed(s) = ${cells} cells (${train} training images, ${epochs} epoch(s)); ` +
        `${os.cpus().length} cores, ABSNAS_NATIVE_THREADS=1; median of ${rounds} round(s)`,
    );
    const before = os.loadavg()[0];
    const times = { local: [], one: [], two: [] };
    const variants = {
      local: (out) => timed(['compare', preset, '--out', out]),
      one: (out) => distributed(url, 1, out),
      two: (out) => distributed(url, 2, out),
    };
    const names = Object.keys(variants);
    let same = true;
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + r) % names.length];
        const out = path.join(work, `${name}-${r}`);
        spawnSync('redis-cli', ['-p', String(port), 'flushall']);
        times[name].push(await variants[name](out));
      }
      same = same && table(path.join(work, `local-${r}`)) === table(path.join(work, `one-${r}`)) && table(path.join(work, `local-${r}`)) === table(path.join(work, `two-${r}`));
    }
    // the control: two local compares at once, against the local time
    const t0 = process.hrtime.bigint();
    await Promise.all([0, 1].map((i) => timedAsync(['compare', preset, '--out', path.join(work, `pair-${i}`)])));
    const pair = Number(process.hrtime.bigint() - t0) / 1e9;
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const [local, one, two] = names.map((n) => median(times[n]));
    const rows = [
      ['local compare', local],
      ['1 worker', one],
      ['2 workers', two],
    ];
    console.log(`load average (1 min) before and after: ${before.toFixed(1)}, ${os.loadavg()[0].toFixed(1)} (other work on the machine slows the workers alike)`);
    for (const [name, s] of rows) console.log(`${name.padEnd(14)} ${s.toFixed(1).padStart(7)} s  ${(s / cells).toFixed(2).padStart(6)} s/cell`);
    console.log(`speed-up 2 workers / 1 worker: ${(one / two).toFixed(2)}x; scaling efficiency ${((100 * one) / (2 * two)).toFixed(0)}%`);
    console.log(`control: two local compares at once ${pair.toFixed(1)} s against one ${local.toFixed(1)} s: the machine runs two at ${((2 * local) / pair).toFixed(2)}x the speed of one`);
    console.log(`queue overhead per cell (1 worker - local) / cells: ${((one - local) / cells).toFixed(2)} s`);
    console.log(`tables equal to the local compare's (timings aside): ${same ? 'yes' : 'NO'}`);
    if (!same) process.exitCode = 1;
  } finally {
    redis.kill('SIGTERM');
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e.message);
  process.exitCode = 1;
});
