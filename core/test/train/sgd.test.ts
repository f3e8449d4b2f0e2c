import * as tf from '@tensorflow/tfjs';
import { learningRateAt } from '../../src/train/schedule';
import { clipGlobalNorm, Sgd } from '../../src/train/sgd';
import { Rng } from '../../src/util/rng';

/** PyTorch's SGD update, in float64, as documented for torch.optim.SGD. */
function referenceSgd(w: number[], grads: number[][], lr: number, mu: number, wd: number, nesterov: boolean): number[] {
  const p = [...w];
  let buf: number[] | undefined;
  for (const g of grads) {
    const d = g.map((gi, i) => gi + wd * p[i]);
    buf = buf ? buf.map((b, i) => mu * b + d[i]) : [...d];
    const step = nesterov ? d.map((di, i) => di + mu * (buf as number[])[i]) : buf;
    for (let i = 0; i < p.length; i++) p[i] -= lr * step[i];
  }
  return p;
}

describe('Sgd', () => {
  it.each([true, false])('matches PyTorch SGD over several steps (nesterov %s)', (nesterov) => {
    const rng = new Rng(7);
    const w0 = Array.from({ length: 12 }, () => rng.normal());
    const grads = Array.from({ length: 4 }, () => Array.from({ length: 12 }, () => rng.normal()));
    const v = tf.variable(tf.tensor(w0, [3, 4]), true, 'w');
    const params = new Map([['w', v]]);
    const sgd = new Sgd({ momentum: 0.9, nesterov, weightDecay: 5e-4 });
    for (const g of grads) {
      const t = tf.tensor(g, [3, 4]);
      sgd.step(params, { w: t }, 0.05);
      t.dispose();
    }
    const got = Array.from(v.dataSync());
    const want = referenceSgd(w0, grads, 0.05, 0.9, 5e-4, nesterov);
    got.forEach((x, i) => expect(Math.abs(x - want[i])).toBeLessThan(1e-5));
    // state round-trips
    const state = sgd.getState();
    const other = new Sgd({ momentum: 0.9, nesterov, weightDecay: 5e-4 });
    other.setState(state, params);
    expect(Array.from(other.getState().w)).toEqual(Array.from(state.w));
    sgd.dispose();
    other.dispose();
    v.dispose();
  });

  it('leaves parameters without a gradient untouched', () => {
    const a = tf.variable(tf.ones([2]), true, 'a');
    const b = tf.variable(tf.ones([2]), true, 'b');
    const sgd = new Sgd({ momentum: 0.9, nesterov: true, weightDecay: 0.1 });
    const g = tf.ones([2]);
    sgd.step(new Map([['a', a], ['b', b]]), { a: g }, 0.1);
    expect(Array.from(b.dataSync())).toEqual([1, 1]);
    expect(Array.from(a.dataSync())[0]).not.toBe(1);
    [a, b, g].forEach((t) => t.dispose());
    sgd.dispose();
  });

  it.each([true, false])(
    'with offPath, keeps moving a parameter off the path by decay and momentum once it had a gradient, as PyTorch <= 1.5 (nesterov %s)',
    (nesterov) => {
      const rng = new Rng(9);
      const w0 = { a: [rng.normal(), rng.normal()], b: [rng.normal(), rng.normal()], c: [rng.normal(), rng.normal()] };
      const g = Array.from({ length: 4 }, () => [rng.normal(), rng.normal()]);
      const vars = Object.fromEntries(Object.entries(w0).map(([k, w]) => [k, tf.variable(tf.tensor(w), true, `off-${k}-${nesterov}`)]));
      const params = new Map(Object.entries(vars));
      const opts = { momentum: 0.9, nesterov, weightDecay: 0.05, offPath: true };
      let sgd = new Sgd(opts);
      // a: on the path at steps 1 and 3; c: only at step 3; b: never
      const onPath: Record<string, number>[] = [{ a: 0 }, {}, { a: 2, c: 2 }, {}];
      onPath.forEach((step, k) => {
        const grads: tf.NamedTensorMap = Object.fromEntries(Object.entries(step).map(([n, i]) => [n, tf.tensor(g[i])]));
        sgd.step(params, grads, 0.1);
        tf.dispose(Object.values(grads));
        if (k === 1) {
          // a checkpoint between steps: momentum and the touched set carry over
          const next = new Sgd(opts);
          next.setState(sgd.getState(), params);
          next.setTouched(sgd.touchedNames());
          sgd.dispose();
          sgd = next;
        }
      });
      const zero = [0, 0];
      const want = {
        a: referenceSgd(w0.a, [g[0], zero, g[2], zero], 0.1, 0.9, 0.05, nesterov),
        c: referenceSgd(w0.c, [g[2], zero], 0.1, 0.9, 0.05, nesterov),
      };
      for (const k of ['a', 'c'] as const) {
        Array.from(vars[k].dataSync()).forEach((x, i) => expect(Math.abs(x - want[k][i])).toBeLessThan(1e-5));
      }
      expect(Array.from(vars.b.dataSync())).toEqual(w0.b.map(Math.fround));
      expect(sgd.touchedNames()).toEqual(['a', 'c']);
      sgd.dispose();
      Object.values(vars).forEach((v) => v.dispose());
    },
  );

  it('clips the global gradient norm', () => {
    const grads = { x: tf.tensor([3, 0]), y: tf.tensor([0, 4]) }; // norm 5
    clipGlobalNorm(grads, 1);
    expect(Array.from(grads.x.dataSync())[0]).toBeCloseTo(0.6, 5);
    expect(Array.from(grads.y.dataSync())[1]).toBeCloseTo(0.8, 5);
    const small = { x: tf.tensor([0.3, 0.4]) };
    clipGlobalNorm(small, 1);
    expect(Array.from(small.x.dataSync())).toEqual([Math.fround(0.3), Math.fround(0.4)]);
    [grads.x, grads.y, small.x].forEach((t) => t.dispose());
  });
});

describe('learning-rate schedules', () => {
  const cfg = { learningRate: 0.1, minLearningRate: 0.001 };
  it('cosine anneals from the start to the minimum', () => {
    expect(learningRateAt({ ...cfg, schedule: 'cosine' }, 0)).toBeCloseTo(0.1, 12);
    expect(learningRateAt({ ...cfg, schedule: 'cosine' }, 0.5)).toBeCloseTo(0.0505, 12);
    expect(learningRateAt({ ...cfg, schedule: 'cosine' }, 1)).toBeCloseTo(0.001, 12);
  });
  it('linear and constant', () => {
    expect(learningRateAt({ ...cfg, schedule: 'linear' }, 0.25)).toBeCloseTo(0.07525, 12);
    expect(learningRateAt({ ...cfg, schedule: 'constant' }, 0.9)).toBe(0.1);
  });
});
