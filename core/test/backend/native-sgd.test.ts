/**
 * The fused clip + SGD step (core/native/optimizer.cc through Sgd.step on
 * wasm with the native kernels) against the separate tfjs ops (the native
 * kernels off) and a float64 reference of clipGlobalNorm + torch.optim.SGD.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeKernelCalls, setNativeKernelsEnabled } from '../../src/backend';
import { Sgd } from '../../src/train/sgd';
import { expectClose, NATIVE_REQUIRED, nativeRequiredError, nativeUnavailable, randomPair } from './helpers';

const unavailable = nativeUnavailable();
const describeNative = unavailable === '' || NATIVE_REQUIRED ? describe : describe.skip;

const SHAPES: Record<string, number[]> = { conv: [3, 3, 16, 32], bn: [32], fc: [64, 10], bias: [10], lone: [5] };

interface Run {
  params: Record<string, Float32Array>;
  velocity: Record<string, Float32Array>;
}

/** Three steps of Sgd on fresh parameters with the given gradients (same seeds each call); `lone` gets no gradient. */
function train(native: boolean, opts: { momentum: number; nesterov: boolean; weightDecay: number }, clipNorm: number, gradScale: number): Run {
  setNativeKernelsEnabled(native);
  try {
    const params = new Map(Object.entries(SHAPES).map(([n, s], i) => [n, tf.variable(randomPair(s, 60 + i).t, true, `sgd.${n}.${native}`)]));
    const sgd = new Sgd({ ...opts, decays: (n) => n !== 'bn' });
    for (let step = 0; step < 3; step++) {
      const grads: tf.NamedTensorMap = {};
      Object.entries(SHAPES).forEach(([n, s], i) => {
        if (n !== 'lone') grads[n] = tf.tidy(() => tf.mul(randomPair(s, 100 * step + i, -1, 1).t, gradScale));
      });
      sgd.step(params, grads, 0.05, clipNorm);
      tf.dispose(Object.values(grads));
    }
    const out: Run = {
      params: Object.fromEntries([...params].map(([n, v]) => [n, v.dataSync() as Float32Array])),
      velocity: opts.momentum > 0 ? sgd.getState() : {},
    };
    sgd.dispose();
    tf.dispose([...params.values()]);
    return out;
  } finally {
    setNativeKernelsEnabled(undefined);
  }
}

/** The same three steps in float64: clip to the global norm, then PyTorch's SGD. */
function reference(opts: { momentum: number; nesterov: boolean; weightDecay: number }, clipNorm: number, gradScale: number): Record<string, Float64Array> {
  const p = Object.fromEntries(Object.entries(SHAPES).map(([n, s], i) => [n, Float64Array.from(randomPair(s, 60 + i).v)]));
  const buf: Record<string, Float64Array> = Object.fromEntries(Object.entries(p).map(([n, v]) => [n, new Float64Array(v.length)]));
  for (let step = 0; step < 3; step++) {
    const g: Record<string, Float64Array> = {};
    Object.entries(SHAPES).forEach(([n, s], i) => {
      if (n !== 'lone') g[n] = randomPair(s, 100 * step + i, -1, 1).v.map((x) => Math.fround(x * gradScale));
    });
    let sq = 0;
    for (const v of Object.values(g)) for (const x of v) sq += x * x;
    const scale = clipNorm > 0 ? Math.min(clipNorm / (Math.sqrt(sq) + 1e-6), 1) : 1;
    for (const [n, gv] of Object.entries(g)) {
      for (let k = 0; k < gv.length; k++) {
        let d = gv[k] * scale + (n !== 'bn' ? opts.weightDecay * p[n][k] : 0);
        if (opts.momentum > 0) {
          buf[n][k] = opts.momentum * buf[n][k] + d;
          d = opts.nesterov ? d + opts.momentum * buf[n][k] : buf[n][k];
        }
        p[n][k] -= 0.05 * d;
      }
    }
  }
  return p;
}

describeNative('fused clip + SGD step (native)', () => {
  beforeAll(() => {
    if (unavailable !== '') throw nativeRequiredError(unavailable);
  });

  test.each([
    ['nesterov, clip inactive', { momentum: 0.9, nesterov: true, weightDecay: 5e-4 }, 1e6, 1],
    ['plain momentum, clip inactive', { momentum: 0.9, nesterov: false, weightDecay: 5e-4 }, 0, 1],
    ['no momentum, no weight decay', { momentum: 0, nesterov: false, weightDecay: 0 }, 0, 1],
  ])('%s: bitwise the separate ops, and the float64 reference', (_name, opts, clip, gradScale) => {
    const calls = nativeKernelCalls();
    const fused = train(true, opts, clip, gradScale);
    expect(nativeKernelCalls() - calls).toBe(3); // one kernel call per step
    const separate = train(false, opts, clip, gradScale);
    const want = reference(opts, clip, gradScale);
    for (const n of Object.keys(SHAPES)) {
      expect(Buffer.from(fused.params[n].buffer).equals(Buffer.from(separate.params[n].buffer))).toBe(true);
      if (opts.momentum > 0) expect(Buffer.from(fused.velocity[n].buffer).equals(Buffer.from(separate.velocity[n].buffer))).toBe(true);
      expectClose(n, fused.params[n], want[n], 1e-5);
    }
    // no gradient: untouched
    expect(Array.from(fused.params.lone)).toEqual(Array.from(randomPair(SHAPES.lone, 64).v));
  });

  test('clip active: the float64 reference, and the separate ops to the clip scale\'s last bit', () => {
    const opts = { momentum: 0.9, nesterov: true, weightDecay: 5e-4 };
    // the gradients' norm is ~50: clipped to 5
    const fused = train(true, opts, 5, 1);
    const separate = train(false, opts, 5, 1);
    const want = reference(opts, 5, 1);
    for (const n of Object.keys(SHAPES)) {
      expectClose(n, fused.params[n], want[n], 1e-5);
      expectClose(`${n} vs separate`, fused.params[n], separate.params[n], 1e-6);
    }
  });

  test('a gradient of the wrong shape or an unknown parameter fails clearly', () => {
    setNativeKernelsEnabled(true);
    const p = tf.variable(tf.ones([4]), true, 'sgd.shape');
    const sgd = new Sgd({ momentum: 0.9, nesterov: true, weightDecay: 0 });
    const g = tf.ones([5]);
    try {
      expect(() => sgd.step(new Map([['p', p]]), { p: g }, 0.1)).toThrow(/gradient of sgd\.shape has shape \[5\], the parameter \[4\]/);
      expect(() => sgd.step(new Map([['p', p]]), { q: g }, 0.1)).toThrow(/gradient for unknown parameter q/);
      expect(Array.from(p.dataSync())).toEqual([1, 1, 1, 1]);
    } finally {
      tf.dispose([p, g]);
      sgd.dispose();
      setNativeKernelsEnabled(undefined);
    }
  });
});
