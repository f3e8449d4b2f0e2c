/**
 * tfjs's threaded wasm build in Node (wasm-threads.ts): started in this
 * process with 2 threads (over the backend the suite selected), convolutions
 * and their gradients large enough for XNNPACK to split against the float64
 * reference, the heap views after the shared memory grows behind the glue's
 * back, the helper thread off beside it; and a separate Node process that
 * uses it must exit by itself when its work is done.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as ts from 'typescript';
import { selectBackend, setWasmThreads, wasmHelperEnabled, wasmThreadsActive } from '../../src/backend';
import { evaluate, expectClose, expectConv2dMatchesReference, randomPair } from './helpers';
import { conv2d, Shape4 } from './reference';

interface HeapModule {
  HEAPF32: Float32Array;
  wasmMemory: { buffer: ArrayBufferLike; grow(pages: number): number };
}

beforeAll(async () => {
  await selectBackend('wasm');
  if (wasmThreadsActive() === 0) {
    // the single-threaded build is running: replace it (the threaded one registers on the next start)
    tf.removeBackend('wasm');
    setWasmThreads(2);
    await selectBackend('wasm');
  }
}, 120_000);

afterAll(() => setWasmThreads(undefined));

describe('threaded wasm build', () => {
  test('runs with its own thread pool, the helper thread off', async () => {
    const info = await selectBackend('wasm');
    expect(info.warnings).toEqual([]);
    expect(info.threads).toBeGreaterThanOrEqual(2);
    expect(wasmThreadsActive()).toBe(info.threads);
    expect(wasmHelperEnabled()).toBe(false);
    const m = (tf.backend() as unknown as { wasm: HeapModule }).wasm;
    expect(m.HEAPF32.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(info.selfTest.ok).toBe(true);
  });

  const cases: [string, Shape4, number, number][] = [
    ['batch 8, 16x16x16, 3x3', [8, 16, 16, 16], 3, 1],
    ['batch 6, 12x12x8, 5x5 stride 2', [6, 12, 12, 8], 5, 2],
    ['batch 16, 8x8x32, 1x1', [16, 8, 8, 32], 1, 1],
  ];

  test.each(cases)('conv2d forward and gradients, %s, vs float64 reference', async (_name, xShape, k, stride) => {
    await expectConv2dMatchesReference(xShape, [k, k, xShape[3], 16], stride, 'same', 1, 11 + k);
  });

  test('heap views follow the shared memory when it grows outside the main thread glue', async () => {
    const m = (tf.backend() as unknown as { wasm: HeapModule }).wasm;
    const bytes = m.wasmMemory.buffer.byteLength;
    // as a pool thread's malloc would: the glue is not told
    m.wasmMemory.grow(16);
    expect(m.HEAPF32.buffer.byteLength).toBe(bytes + 16 * 65536);
    const xShape: Shape4 = [2, 6, 6, 3];
    const wShape: Shape4 = [3, 3, 3, 4];
    const o = await evaluate(() => {
      const x = randomPair(xShape, 5);
      const w = randomPair(wShape, 6);
      return { y: tf.conv2d(x.t as tf.Tensor4D, w.t as tf.Tensor4D, 1, 'same'), xv: x.v, wv: w.v };
    });
    expectClose('forward after growth', o.y.values, conv2d(o.xv, xShape, o.wv, wShape, { stride: [1, 1], dilation: [1, 1], pad: 'same' }).data);
  });
});

describe('a process on the threaded build', () => {
  test('exits by itself when its work is done', () => {
    // the module alone, transpiled: the test does not depend on a build of core
    const src = path.join(__dirname, '../../src/backend/wasm-threads.ts');
    const js = ts.transpileModule(fs.readFileSync(src, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true },
    }).outputText;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-wasm-threads-test-'));
    try {
      fs.writeFileSync(path.join(dir, 'wasm-threads.js'), js);
      const script = `
        const tf = require('@tensorflow/tfjs');
        require('@tensorflow/tfjs-backend-wasm');
        const wt = require(${JSON.stringify(path.join(dir, 'wasm-threads.js'))});
        wt.setWasmThreads(2);
        wt.prepareWasmBackend();
        (async () => {
          if (!(await tf.setBackend('wasm'))) throw new Error('no wasm backend: ' + wt.wasmThreadsError());
          const x = tf.ones([8, 16, 16, 16]);
          const y = tf.conv2d(x, tf.ones([3, 3, 16, 16]), 1, 'same');
          const v = await y.data();
          process.stdout.write(JSON.stringify({ threads: wt.wasmThreadsActive(), centre: v[(8 * 16 + 8) * 16] }) + '\\n');
        })().catch((e) => { console.error(e); process.exit(2); });`;
      const nodeModules = path.resolve(require.resolve('@tensorflow/tfjs/package.json'), '../../..');
      const r = spawnSync(process.execPath, ['-e', script], {
        encoding: 'utf8',
        timeout: 90_000,
        env: { ...process.env, NODE_PATH: nodeModules },
      });
      // killed by the timeout (signal set) means the pool threads held it
      expect({ status: r.status, signal: r.signal, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
      const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { threads: number; centre: number };
      expect(out).toEqual({ threads: 2, centre: 9 * 16 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
