/**
 * absnas's native kernels (core/native) beyond the shared gradient suites
 * (conv2d-grad, depthwise-grad and batch-norm run every case with them too):
 * argument checks that fail clearly before any memory is touched, bitwise
 * repeatability, batch norm on inputs that defeat a one-pass variance, and
 * the switch that turns them off. Skipped where the addon is not built
 * (a failure instead under ABSNAS_NATIVE_REQUIRED=1, as in CI).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { batchNormTrain, batchNormTrainUpdating, NATIVE_ADDON_PATH, nativeBatchNormActive, nativeKernelCalls, nativeKernelsError, nativeKernelsInfo, setNativeKernelsEnabled } from '../../src/backend';
import type { Addon } from '../../src/backend/native/addon';
import { broadcastPattern, NATIVE_ELEMENTWISE_MIN } from '../../src/backend/native/elementwise';
import { evaluate, expectClose, NATIVE_REQUIRED, nativeRequiredError, nativeUnavailable, randomPair } from './helpers';
import { batchNorm, batchNormGrad, depthwiseConv2dBackpropFilter, Shape4 } from './reference';

const unavailable = nativeUnavailable();
const describeNative = unavailable === '' || NATIVE_REQUIRED ? describe : describe.skip;

describeNative('native kernels', () => {
  let addon: Addon;
  beforeAll(() => {
    if (unavailable !== '') throw nativeRequiredError(unavailable);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require(NATIVE_ADDON_PATH) as Addon;
  });
  // on for every test, whatever ABSNAS_NATIVE says: this suite is about the native kernels
  beforeEach(() => setNativeKernelsEnabled(true));
  afterEach(() => setNativeKernelsEnabled(undefined));

  test('are in use on wasm, and report oneDNN and the instruction set', () => {
    const info = nativeKernelsInfo();
    expect(info).not.toBeNull();
    expect(info?.library).toMatch(/^oneDNN [23]\.\d+\.\d+$/);
    expect(info?.threads).toBeGreaterThanOrEqual(1);
    expect(nativeBatchNormActive()).toBe(true);
  });

  test('ABSNAS_NATIVE-style switch: off means the wasm kernels run', async () => {
    setNativeKernelsEnabled(false);
    expect(nativeKernelsInfo()).toBeNull();
    expect(nativeKernelsError()).toMatch(/turned off/);
    expect(nativeBatchNormActive()).toBe(false);
    const calls = nativeKernelCalls();
    const o = await evaluate(() => ({ y: tf.conv2d(tf.ones([1, 4, 4, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 2]) as tf.Tensor4D, 1, 'same') }));
    expect(o.y.values[(1 * 4 + 1) * 2]).toBe(18); // pixel (1, 1): 3 x 3 taps x 2 channels of ones
    expect(nativeKernelCalls()).toBe(calls);
  });

  test('operand lengths and dims are checked before any memory is touched', () => {
    // x [1, 3, 3, 1], filter [2, 2, 1, 1], y [1, 2, 2, 1]
    const dims = Int32Array.of(1, 3, 3, 1, 2, 2, 1, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    const x = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
    const w = Float32Array.of(1, 0, 0, 1);
    const y = new Float32Array(4);
    addon.conv(0, dims, x, w, y);
    expect(Array.from(y)).toEqual([6, 8, 12, 14]); // x[i][j] + x[i+1][j+1]
    expect(() => addon.conv(0, dims, x, w, new Float32Array(5))).toThrow(/absnas native: y has 5 values, expected 4/);
    expect(() => addon.conv(0, dims, x.subarray(1), w, y)).toThrow(/x has 8 values, expected 9/);
    expect(() => addon.conv(0, dims, x, new Float64Array(4) as unknown as Float32Array, y)).toThrow(/filter must be a Float32Array/);
    expect(() => addon.conv(3, dims, x, w, y)).toThrow(/kind must be 0/);
    expect(() => addon.conv(0, dims.subarray(1), x, w, y)).toThrow(/17 values/);
    const negative = Int32Array.from(dims);
    negative[13] = -1;
    expect(() => addon.conv(0, negative, x, w, y)).toThrow(/invalid convolution dims/);
    // an output size that does not follow from the geometry: oneDNN's error, named as such
    const wrong = Int32Array.from(dims);
    wrong[4] = 1;
    expect(() => addon.conv(0, wrong, x, w, new Float32Array(2))).toThrow(/absnas native: oneDNN/);
    expect(() => addon.batchNormForward(4, 2, new Float32Array(8), null, new Float32Array(2), 1e-5, new Float32Array(8), new Float32Array(2), new Float32Array(2), new Float32Array(2))).toThrow(
      /gamma and beta together/,
    );
  });

  // ties every `every` values from `offset` on, set to `value`
  const activations: [string, (x: tf.Tensor) => tf.Tensor, [number, number], { offset: number; every: number; value: number }[], (v: number) => boolean][] = [
    ['ReLU: dy where x > 0, else 0 (x = 0', tf.relu, [-1, 1], [{ offset: 0, every: 97, value: 0 }], (v) => v > 0],
    ['ReLU6: dy where 0 < x <= 6, else 0 (x = 0, x = 6', tf.relu6, [-4, 10], [{ offset: 0, every: 89, value: 0 }, { offset: 45, every: 89, value: 6 }], (v) => v > 0 && v <= 6],
  ];
  test.each(activations)('the gradient of %s and large tensors included), as tfjs computes it', async (_name, activation, [lo, hi], ties, passes) => {
    const shape = [4, 64, 64, 8]; // 131,072 values: both threads take a block
    const x = randomPair(shape, 31, lo, hi);
    const dy = randomPair(shape, 32);
    const xv = Float32Array.from(x.v);
    for (const { offset, every, value } of ties) for (let i = offset; i < xv.length; i += every) xv[i] = value;
    const run = () =>
      evaluate(() => {
        const xt = tf.tensor(xv, shape);
        return { dx: tf.grad((a: tf.Tensor) => tf.sum(tf.mul(activation(a), dy.t)))(xt) };
      });
    const calls = nativeKernelCalls();
    const native = await run();
    expect(nativeKernelCalls()).toBeGreaterThan(calls);
    const want = Float64Array.from(xv, (v, i) => (passes(v) ? dy.v[i] : 0));
    expect(want.filter((v) => v !== 0).length).toBeGreaterThan(xv.length / 3); // both sides of the mask are exercised
    expect(want.filter((v) => v === 0).length).toBeGreaterThan(xv.length / 3);
    expect(Array.from(native.dx.values, (v) => v + 0)).toEqual(Array.from(want)); // exact (v + 0: -0 as 0)
    setNativeKernelsEnabled(false);
    const stock = await run();
    expect(Array.from(stock.dx.values, (v) => v + 0)).toEqual(Array.from(want));
    tf.dispose([x.t, dy.t]);
  });

  test('the max-pool gradient is bitwise the wasm fill-in (padding, strides, ties, negative windows)', async () => {
    const shape: Shape4 = [5, 13, 11, 6];
    const xv = Float32Array.from(randomPair(shape, 41, -2, 1).v, (v, i) => (i % 7 === 0 ? 0.5 : Math.round(v * 4) / 4)); // many ties
    const dy = (out: number[]) => randomPair(out, 42).t;
    const grads = () =>
      evaluate(() => {
        const out: Record<string, tf.Tensor> = {};
        for (const [k, s, pad] of [[3, 1, 'same'], [3, 2, 'valid'], [2, 2, 'same'], [3, 2, 1]] as const) {
          const x = tf.tensor(xv, shape) as tf.Tensor4D;
          const f = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, k, s, pad);
          out[`k${k}s${s}${pad}`] = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), dy(f(x).shape))))(x);
        }
        return out;
      });
    const calls = nativeKernelCalls();
    const native = await grads();
    expect(nativeKernelCalls() - calls).toBeGreaterThanOrEqual(4);
    setNativeKernelsEnabled(false);
    const wasm = await grads();
    for (const k of Object.keys(native)) {
      const a = native[k] as { values: Float32Array };
      const b = wasm[k] as { values: Float32Array };
      expect(Buffer.from(a.values.buffer).equals(Buffer.from(b.values.buffer))).toBe(true);
    }
  });

  test('a training step repeats bitwise (forward, both gradients, batch norm)', async () => {
    const run = () =>
      evaluate(() => {
        const x = randomPair([8, 12, 12, 16], 3).t as tf.Tensor4D;
        const w = randomPair([3, 3, 16, 32], 4).t as tf.Tensor4D;
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
          const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same');
          const n = batchNormTrain(y, undefined, undefined, 1e-5);
          n.mean.dispose();
          n.variance.dispose();
          return tf.sum(tf.square(n.y));
        })([x, w]);
        return { dx: g[0], dw: g[1] };
      });
    const calls = nativeKernelCalls();
    const a = await run();
    const b = await run();
    // conv, conv input and filter gradients, batch norm and its gradient
    expect(nativeKernelCalls() - calls).toBeGreaterThanOrEqual(2 * 5);
    expect(Buffer.from(a.dx.values.buffer).equals(Buffer.from(b.dx.values.buffer))).toBe(true);
    expect(Buffer.from(a.dw.values.buffer).equals(Buffer.from(b.dw.values.buffer))).toBe(true);
  });

  test('batch norm of an input far from zero keeps its digits (two-pass statistics; vs float64)', async () => {
    const shape: Shape4 = [16, 8, 8, 4];
    const o = await evaluate(() => {
      const x = randomPair(shape, 21, 100, 101);
      const r = randomPair(shape, 22);
      const out = batchNormTrain(x.t as tf.Tensor4D, undefined, undefined, 1e-5);
      const dx = tf.grad((a: tf.Tensor) => {
        const s = batchNormTrain(a as tf.Tensor4D, undefined, undefined, 1e-5);
        s.mean.dispose();
        s.variance.dispose();
        return tf.sum(tf.mul(s.y, r.t));
      })(x.t);
      return { y: out.y, mean: out.mean, variance: out.variance, dx, xv: x.v, rv: r.v };
    });
    const ref = batchNorm(o.xv, shape, 1e-5);
    const grad = batchNormGrad(o.xv, shape, o.rv, 1e-5);
    // a one-pass float32 variance (E[x^2] - E[x]^2 with x^2 ~ 1e4) would be off by ~1e-3 of 0.083
    expectClose('forward', o.y.values, ref.y);
    expectClose('mean', o.mean.values, ref.mean, 1e-6);
    expectClose('variance', o.variance.values, ref.variance, 1e-6);
    expectClose('dx', o.dx.values, grad.dx);
  });

  test('thread count: fixed by setThreads, else chosen per kernel from the load (1 to one per core); same results either way', async () => {
    const os = await import('os');
    const conv = () =>
      evaluate(() => {
        const x = randomPair([4, 16, 16, 8], 51).t as tf.Tensor4D;
        const w = randomPair([3, 3, 8, 8], 52).t as tf.Tensor4D;
        return { y: tf.conv2d(x, w, 1, 'same'), dw: tf.grad((b: tf.Tensor) => tf.sum(tf.conv2d(x, b as tf.Tensor4D, 1, 'same')))(w) };
      });
    try {
      addon.setThreads(1);
      expect(addon.info()).toMatchObject({ threads: 1, followsLoad: false });
      const one = await conv();
      expect(addon.info().lastThreads).toBe(1);
      addon.setThreads(0);
      const info = addon.info();
      expect(info.threads).toBe(os.availableParallelism?.() ?? os.cpus().length);
      if (process.platform === 'linux' && info.threads > 1) expect(info.followsLoad).toBe(true);
      const auto = await conv();
      expect(addon.info().lastThreads).toBeGreaterThanOrEqual(1);
      expect(addon.info().lastThreads).toBeLessThanOrEqual(info.threads);
      // another thread count splits the work (and the filter gradient's sums) differently: equal to float32 rounding
      expectClose('y', auto.y.values, one.y.values, 1e-5);
      expectClose('dw', auto.dw.values, one.dw.values, 1e-5);
      expect(() => addon.setThreads(-1)).toThrow(/threads must be an integer >= 0/);
    } finally {
      addon.setThreads(0);
    }
  });

  test("a run's numbers do not follow the load: batch norm is bitwise the same on any thread count, the filter gradient the same whether its parts run side by side or one after the other", async () => {
    const os = await import('os');
    const { spawn } = await import('child_process');
    const shape = [8, 10, 10, 24]; // 800 rows: every thread count splits them differently
    const bn = () =>
      evaluate(() => {
        const x = randomPair(shape, 61, -3, 5).t as tf.Tensor4D;
        const r = randomPair(shape, 62).t;
        const out = batchNormTrain(x, undefined, undefined, 1e-5);
        const dx = tf.grad((a: tf.Tensor) => {
          const s = batchNormTrain(a as tf.Tensor4D, undefined, undefined, 1e-5);
          s.mean.dispose();
          s.variance.dispose();
          return tf.sum(tf.mul(s.y, r));
        })(x);
        return { y: out.y, mean: out.mean, variance: out.variance, dx };
      });
    const bits = (v: ArrayLike<number>) => Buffer.from(Float32Array.from(v).buffer);
    // x [2, 9, 9, 8], dy [2, 9, 9, 8], dW [3, 3, 8, 8], stride 1, 'same' padding
    const dims = Int32Array.of(2, 9, 9, 8, 9, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
    const x = Float32Array.from(randomPair([2 * 9 * 9 * 8], 63).v);
    const dy = Float32Array.from(randomPair([2 * 9 * 9 * 8], 64).v);
    const filterGradient = () => {
      const dw = new Float32Array(3 * 3 * 8 * 8);
      addon.conv(2, dims, x, dy, dw);
      return { dw, threads: addon.info().lastThreads };
    };
    const max = os.availableParallelism?.() ?? os.cpus().length;
    const busy: ReturnType<typeof spawn>[] = [];
    try {
      const runs = [];
      for (const n of [1, 2, 3]) {
        addon.setThreads(n);
        runs.push(await bn());
      }
      for (const other of runs.slice(1)) {
        for (const k of ['y', 'mean', 'variance', 'dx'] as const) expect(bits(other[k].values).equals(bits(runs[0][k].values))).toBe(true);
      }
      // the batch is cut into one part per core (at most the batch, 2 here): on every thread the cores allow
      addon.setThreads(max);
      const fixed = filterGradient();
      expect(fixed.threads).toBe(max);
      // every core kept busy by other processes: the kernel follows the load (fewer threads), its numbers do not
      addon.setThreads(0);
      const cores = Math.min(max, 8);
      for (let i = 0; i < cores; i++) busy.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const loaded = filterGradient();
      if (max > 1) expect(loaded.threads).toBeLessThan(max);
      expect(bits(loaded.dw).equals(bits(fixed.dw))).toBe(true);
    } finally {
      for (const p of busy) p.kill('SIGKILL');
      addon.setThreads(0);
    }
  });

  test("the depthwise filter gradient (absnas's own loops): the float64 result, bitwise the same on any thread count", () => {
    // 20 images (16 uneven batch chunks), 40 channels (not a whole number of vectors), 5x5 'same' and 3x3 stride 2
    const geometries: { k: number; s: number; p: number; out: number }[] = [
      { k: 5, s: 1, p: 2, out: 9 },
      { k: 3, s: 2, p: 1, out: 5 },
    ];
    const [n, h, c] = [20, 9, 40];
    for (const [i, g] of geometries.entries()) {
      const xShape: Shape4 = [n, h, h, c];
      const x = randomPair(xShape, 101 + i);
      const dy = randomPair([n, g.out, g.out, c], 111 + i);
      const dims = Int32Array.of(n, h, h, c, g.out, g.out, c, g.k, g.k, g.s, g.s, 1, 1, g.p, g.p, g.p, g.p);
      expect(addon.convImpl(2, true, dims)).toBe('absnas:depthwise_filter_gradient');
      const runs = [1, 2, 3].map((threads) => {
        addon.setThreads(threads);
        const dw = new Float32Array(g.k * g.k * c);
        addon.depthwise(2, dims, Float32Array.from(x.v), Float32Array.from(dy.v), dw);
        return dw;
      });
      addon.setThreads(0);
      for (const other of runs.slice(1)) expect(Buffer.from(other.buffer).equals(Buffer.from(runs[0].buffer))).toBe(true);
      const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [g.p, g.p], [g.p, g.p], [0, 0]];
      const want = depthwiseConv2dBackpropFilter(x.v, xShape, dy.v, [g.k, g.k, c, 1], { stride: [g.s, g.s], dilation: [1, 1], pad });
      expectClose(`dW ${g.k}x${g.k} stride ${g.s}`, runs[0], want.data);
      tf.dispose([x.t, dy.t]);
    }
  });

  test('broadcast patterns of the element-wise kernels', () => {
    const full = [64, 32, 32, 16];
    expect(broadcastPattern(full, full)).toEqual({ mid: 64 * 32 * 32 * 16, inner: 1 });
    expect(broadcastPattern(full, [16])).toEqual({ mid: 16, inner: 1 });
    expect(broadcastPattern(full, [1, 32, 32, 1])).toEqual({ mid: 1024, inner: 16 });
    expect(broadcastPattern(full, [])).toEqual({ mid: 1, inner: 1 });
    expect(broadcastPattern(full, [1])).toEqual({ mid: 1, inner: 1 });
    expect(broadcastPattern([1, 32, 32, 16], [1, 1, 1, 16])).toEqual({ mid: 16, inner: 1 });
    expect(broadcastPattern(full, [64, 1, 1, 16])).toBeNull(); // two separate runs
    expect(broadcastPattern(full, [1, 1, 32, 16])).toEqual({ mid: 512, inner: 1 });
  });

  test('Add and Multiply with a broadcast operand on large tensors: bitwise the wasm kernels, and the float32 result of each element', async () => {
    const shape = [8, 32, 32, 16]; // 131,072 values
    expect(131072).toBeGreaterThanOrEqual(NATIVE_ELEMENTWISE_MIN);
    const a = randomPair(shape, 71);
    const perChannel = randomPair([16], 74);
    const perPosition = randomPair([1, 32, 32, 1], 75);
    const av = Float32Array.from(a.v);
    const run = () =>
      evaluate(() => {
        const at = tf.tensor(av, shape);
        return {
          addChannel: tf.add(perChannel.t, at), // the broadcast operand first
          mulPosition: tf.mul(at, perPosition.t),
          mulScalar: tf.mul(at, tf.scalar(0.3)),
        };
      });
    const calls = nativeKernelCalls();
    const native = await run();
    expect(nativeKernelCalls() - calls).toBe(3);
    setNativeKernelsEnabled(false);
    const wasm = await run();
    const f = Math.fround;
    const [ch, pos] = [perChannel.v, perPosition.v];
    const want: Record<string, (i: number) => number> = {
      addChannel: (i) => f(av[i] + ch[i % 16]),
      mulPosition: (i) => f(av[i] * pos[Math.floor(i / 16) % 1024]),
      mulScalar: (i) => f(av[i] * f(0.3)),
    };
    for (const [k, g] of Object.entries(want)) {
      const got = (native as unknown as Record<string, { values: Float32Array }>)[k].values;
      const stock = (wasm as unknown as Record<string, { values: Float32Array }>)[k].values;
      expect([k, Buffer.from(got.buffer).equals(Buffer.from(stock.buffer))]).toEqual([k, true]);
      const expected = Float32Array.from({ length: got.length }, (_, i) => g(i));
      expect([k, Buffer.from(got.buffer).equals(Buffer.from(expected.buffer))]).toEqual([k, true]);
    }
    tf.dispose([a.t, perChannel.t, perPosition.t]);
  });

  test('same-shape Add and Multiply, AddN and Relu on large tensors: bitwise the wasm kernels, and the float32 result of each element', async () => {
    const shape = [8, 32, 32, 16]; // 131,072 values
    const n = 131072;
    const [a, b, c] = [91, 92, 93].map((seed) => Float32Array.from(randomPair(shape, seed, -2, 2).v));
    // Relu's edge values: -0, NaNs with and without the sign bit, infinities, the smallest subnormals
    const edges = new Float32Array([-0, NaN, NaN, Infinity, -Infinity, 0, 1e-45, -1e-45]);
    new Uint32Array(edges.buffer)[2] = 0xffc00000;
    const r = Float32Array.from(a);
    r.set(edges, 1000);
    const run = () =>
      evaluate(() => {
        const [at, bt, ct, rt] = [a, b, c, r].map((v) => tf.tensor(v, shape));
        return { add: tf.add(at, bt), mul: tf.mul(at, bt), addN: tf.addN([at, bt, ct]), relu: tf.relu(rt) };
      });
    const calls = nativeKernelCalls();
    const native = await run();
    expect(nativeKernelCalls() - calls).toBe(4);
    setNativeKernelsEnabled(false);
    const wasm = await run();
    setNativeKernelsEnabled(true);
    const f = Math.fround;
    const bits = new Int32Array(r.buffer);
    const want: Record<string, (i: number) => number> = {
      add: (i) => f(a[i] + b[i]),
      mul: (i) => f(a[i] * b[i]),
      addN: (i) => f(f(a[i] + b[i]) + c[i]),
      relu: (i) => (bits[i] > 0 ? r[i] : 0), // an integer max: +0 for -0 and for NaNs with the sign bit set
    };
    for (const [k, g] of Object.entries(want)) {
      const got = (native as unknown as Record<string, { values: Float32Array }>)[k].values;
      const stock = (wasm as unknown as Record<string, { values: Float32Array }>)[k].values;
      expect(got).toHaveLength(n);
      expect([k, Buffer.from(got.buffer).equals(Buffer.from(stock.buffer))]).toEqual([k, true]);
      const expected = Float32Array.from({ length: n }, (_, i) => g(i));
      expect([k, Buffer.from(got.buffer).equals(Buffer.from(expected.buffer))]).toEqual([k, true]);
    }
    const relu = (native as unknown as Record<string, { values: Float32Array }>).relu.values;
    expect(Array.from(new Uint32Array(relu.buffer, 1000 * 4, 8))).toEqual([0, 0x7fc00000, 0, 0x7f800000, 0, 0, 1, 0]);
  });

  test('the running statistics update inside the batch-norm kernel: bitwise the separate ops on the same batch statistics', async () => {
    const shape: Shape4 = [4, 6, 6, 8];
    const x = randomPair(shape, 81, -1, 3);
    const n = 4 * 6 * 6;
    const run = (fused: boolean, rate: number) =>
      evaluate(() => {
        const mean = tf.variable(randomPair([8], 82).t, false);
        const variance = tf.variable(randomPair([8], 83, 0.5, 2).t, false);
        if (fused) {
          batchNormTrainUpdating(x.t as tf.Tensor4D, undefined, undefined, 1e-5, { mean, variance, rate });
        } else {
          const s = batchNormTrain(x.t as tf.Tensor4D, undefined, undefined, 1e-5);
          mean.assign(tf.add(tf.mul(mean, 1 - rate), tf.mul(s.mean, rate)));
          variance.assign(tf.add(tf.mul(variance, 1 - rate), tf.mul(tf.mul(s.variance, n / (n - 1)), rate)));
          tf.dispose([s.mean, s.variance]);
        }
        return { mean, variance };
      });
    for (const rate of [0.1, 1 / 3, 1]) {
      const calls = nativeKernelCalls();
      const a = await run(true, rate);
      expect(nativeKernelCalls() - calls).toBe(1); // statistics, normalisation and update: one kernel
      const b = await run(false, rate);
      expect(Buffer.from(a.mean.values.buffer).equals(Buffer.from(b.mean.values.buffer))).toBe(true);
      expect(Buffer.from(a.variance.values.buffer).equals(Buffer.from(b.variance.values.buffer))).toBe(true);
    }
    x.t.dispose();
  });
});

describe('an addon built from other sources (left from an older absnas)', () => {
  const buildScript = path.join(path.dirname(path.dirname(NATIVE_ADDON_PATH)), 'build.js');

  test('the build records the fingerprint of the sources it built, and a fresh build matches them', () => {
    if (unavailable !== '') return; // not built here: nothing to compare
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const build = require(buildScript) as { sourcesFingerprint(): string; builtFingerprint(): string | undefined };
    expect(build.sourcesFingerprint()).toMatch(/^[0-9a-f]{64}$/);
    expect(build.builtFingerprint()).toBe(build.sourcesFingerprint());
  });

  test('is not loaded: the kernels say why and how to rebuild, and the wasm kernels run', () => {
    jest.isolateModules(() => {
      jest.doMock(buildScript, () => ({ sourcesFingerprint: () => 'a'.repeat(64), builtFingerprint: () => 'b'.repeat(64) }));
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fresh = require('../../src/backend/native/addon') as typeof import('../../src/backend/native/addon');
      fresh.setNativeKernelsEnabled(true);
      expect(fresh.nativeAddon()).toBeNull();
      expect(fresh.nativeKernelsError()).toBe(
        fs.existsSync(NATIVE_ADDON_PATH)
          ? `${NATIVE_ADDON_PATH} was built from other sources than this absnas's: run \`npm rebuild @absnas/core\``
          : `not built (${NATIVE_ADDON_PATH} is missing): ${fresh.NATIVE_BUILD_HINT}`,
      );
    });
  });
});
