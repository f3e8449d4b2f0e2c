import * as tf from '@tensorflow/tfjs';
import { validateCoreConfig } from '../../src/config/validate';
import { BatchNorm, Conv2d, Linear } from '../../src/nn/layers';
import { ParamStore } from '../../src/nn/params';
import { Sgd, type WeightDecayScope, weightDecayFilter } from '../../src/train/sgd';
import { ConfigError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';

/**
 * A tiny model of every layer kind: a conv with a bias, a depthwise conv, an
 * affine batch norm (scale and shift set to random values, so that decay
 * would show on them) and a classifier with a bias; random weights.
 */
function tinyModel(): ParamStore {
  const store = new ParamStore(new Rng(11));
  new Conv2d(store, 'stem', 3, 4, 3, 1, 1, 1, false, true);
  new Conv2d(store, 'dw', 4, 4, 3, 1, 1, 1, true);
  new BatchNorm(store, 'bn', 4, true);
  new Linear(store, 'fc', 4, 5);
  const rng = new Rng(12);
  for (const name of ['bn.gamma', 'bn.beta']) {
    const v = store.get(name);
    v.assign(tf.tensor(Array.from({ length: v.size }, () => 0.5 + rng.next()), v.shape));
  }
  return store;
}

/** One SGD step with zero gradients for every parameter; the values before and after. */
function stepWithZeroGradients(scope: WeightDecayScope, lr: number, wd: number): Map<string, { before: Float32Array; after: Float32Array }> {
  const store = tinyModel();
  const before = store.snapshot();
  const sgd = new Sgd({ momentum: 0.9, nesterov: false, weightDecay: wd, decays: weightDecayFilter(scope, store) });
  const grads: tf.NamedTensorMap = {};
  for (const [name, v] of store.params) grads[name] = tf.zerosLike(v);
  sgd.step(store.params, grads, lr);
  for (const g of Object.values(grads)) g.dispose();
  const after = store.snapshot();
  sgd.dispose();
  store.dispose();
  return new Map([...before].map(([name, b]) => [name, { before: b, after: after.get(name) as Float32Array }]));
}

const KERNELS = ['stem.weight', 'dw.weight', 'fc.weight'];
const NOT_KERNELS = ['stem.bias', 'bn.gamma', 'bn.beta', 'fc.bias'];

describe('weight decay scope', () => {
  const lr = 0.1;
  const wd = 0.01;

  it('tags parameters by role where the layers create them', () => {
    const store = tinyModel();
    expect([...store.params.keys()].map((n) => [n, store.roleOf(n)])).toEqual([
      ['stem.weight', 'kernel'],
      ['stem.bias', 'bias'],
      ['dw.weight', 'kernel'],
      ['bn.gamma', 'norm'],
      ['bn.beta', 'norm'],
      ['fc.weight', 'kernel'],
      ['fc.bias', 'bias'],
    ]);
    expect(store.roleOf('stem.weight')).toBe('kernel');
    expect(() => store.roleOf('nope')).toThrow(/unknown parameter nope/);
    store.dispose();
  });

  /**
   * With zero gradients and an empty momentum buffer, PyTorch's SGD moves a
   * decayed w by exactly lr * wd * w (buf = d = wd * w; w -= lr * buf).
   * Expected values are computed in float64 from the float32 weights; tfjs
   * rounds each of its three float32 operations, which stays within 2^-23 |w|.
   */
  const expectDecayed = (name: string, v: { before: Float32Array; after: Float32Array }): void => {
    v.before.forEach((w, i) => {
      const expected = w - lr * wd * w;
      const tolerance = 2 ** -23 * Math.abs(w);
      if (Math.abs(v.after[i] - expected) > tolerance) {
        throw new Error(`${name}[${i}]: ${v.after[i]}, expected ${expected} within ${tolerance}`);
      }
    });
    // and it did move (the weights are not zero)
    expect(v.after.some((x, i) => x !== v.before[i])).toBe(true);
  };

  it("'weights' decays conv and classifier kernels by lr * wd * w and leaves biases and batch-norm parameters untouched", () => {
    const values = stepWithZeroGradients('weights', lr, wd);
    for (const name of KERNELS) expectDecayed(name, values.get(name)!);
    for (const name of NOT_KERNELS) {
      const v = values.get(name)!;
      expect([name, Array.from(v.after)]).toEqual([name, Array.from(v.before)]);
    }
  });

  it("'all' decays every parameter by lr * wd * w", () => {
    const values = stepWithZeroGradients('all', lr, wd);
    for (const name of [...KERNELS, ...NOT_KERNELS]) expectDecayed(name, values.get(name)!);
  });

  it('is a train option: default all, weights accepted, anything else refused naming the field', () => {
    const space = { plugin: '@absnas/space-nb201' };
    expect(validateCoreConfig({ space }, 'x.json').shrink.train.weightDecayScope).toBe('all');
    expect(validateCoreConfig({ space, shrink: { train: { weightDecayScope: 'weights' } } }, 'x.json').shrink.train.weightDecayScope).toBe('weights');
    let message = '';
    try {
      validateCoreConfig({ space, shrink: { train: { weightDecayScope: 'kernels' } } }, 'x.json');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      message = (e as Error).message;
    }
    expect(message).toMatch(/\/shrink\/train\/weightDecayScope/);
    expect(message).toMatch(/all.*weights/);
    expect(() => weightDecayFilter('kernels' as never, new ParamStore(new Rng(1)))).toThrow(/train\.weightDecayScope must be 'all' or 'weights'/);
  });
});
