/**
 * The differentiable-search machinery on a tiny smooth supernet (tanh convs,
 * no batch norm), on the cpu backend for plain float32 kernels:
 * - the second-order architecture gradient against central finite
 *   differences (h = 5e-3) of the unrolled objective
 *   J(a) = L_val(w - xi dL_train(w, a)/dw, a) with xi = 3: every entry within
 *   1% of the largest |dJ/da| (measured: 0.1%), while the first-order gradient
 *   misses by more than 10% of it (measured: 20%);
 * - alpha's Adam, checkpoint round trip and the default derivation.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend';
import { Conv2d, ForwardMode, Linear, globalAvgPool } from '../../src/nn/layers';
import { ParamStore } from '../../src/nn/params';
import {
  ArchitectureWeights,
  DARTS_ARCHITECTURE_OPTIMIZER,
  VectorAdam,
  deriveArchitecture,
  firstOrderArchitectureGradient,
  mixtureGradients,
  secondOrderArchitectureGradient,
} from '../../src/search/differentiable';
import { CandidateSet } from '../../src/space/candidates';
import type { Architecture, ChoicePoint, Mixture, SearchSpace, Supernet } from '../../src/space/search-space';
import { Rng } from '../../src/util/rng';

const OPS = ['conv3', 'conv1', 'skip', 'none'];
const POINTS: ChoicePoint[] = [
  { id: 'a', candidates: OPS },
  { id: 'b', candidates: OPS },
];

/** x -> mixture a -> mixture b -> global pool -> linear; conv ops are tanh(conv(x)). */
class ToySupernet implements Supernet {
  readonly store = new ParamStore(new Rng(3));
  private readonly convs: Map<string, Conv2d>[] = [];
  private readonly fc: Linear;

  constructor() {
    for (let p = 0; p < 2; p++) {
      this.convs.push(new Map([['conv3', new Conv2d(this.store, `p${p}.conv3`, 2, 2, 3)], ['conv1', new Conv2d(this.store, `p${p}.conv1`, 2, 2, 1)]]));
    }
    this.fc = new Linear(this.store, 'fc', 2, 3);
  }

  private op(p: number, op: string, x: tf.Tensor4D): tf.Tensor4D | null {
    if (op === 'none') return null;
    if (op === 'skip') return x;
    return tf.tanh(this.convs[p].get(op)!.apply(x));
  }

  forward(x: tf.Tensor4D, arch: Architecture): tf.Tensor2D {
    return this.forwardMixture(x, { ops: arch.map((o) => [o]), weights: arch.map(() => tf.ones([1]) as tf.Tensor1D) });
  }

  forwardMixture(x: tf.Tensor4D, m: Mixture, _mode: ForwardMode = 'train'): tf.Tensor2D {
    return tf.tidy(() => {
      let h = x;
      for (let p = 0; p < 2; p++) {
        const terms = m.ops[p].map((op, k) => {
          const y = this.op(p, op, h);
          return y ? tf.mul(y, tf.slice(m.weights[p], [k], [1])) : null;
        });
        const live = terms.filter((t): t is tf.Tensor4D => t !== null);
        h = live.length ? (tf.addN(live) as tf.Tensor4D) : tf.zerosLike(h);
      }
      return this.fc.apply(globalAvgPool(h));
    });
  }

  paramsOf(): string[] {
    return [...this.store.params.keys()];
  }

  paramsOfMixture(): string[] {
    return [...this.store.params.keys()];
  }

  resetBatchNormStats(): void {}

  dispose(): void {
    this.store.dispose();
  }
}

function batch(seed: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const x = tf.randomNormal([6, 4, 4, 2], 0, 3, 'float32', seed) as tf.Tensor4D;
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3).toFloat() as tf.Tensor2D;
  return { x, y };
}

describe('second-order DARTS architecture gradient', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('matches finite differences of the unrolled objective', async () => {
    const supernet = new ToySupernet();
    const alpha = new ArchitectureWeights(POINTS, new CandidateSet(POINTS), { ...DARTS_ARCHITECTURE_OPTIMIZER, initStd: 0.5 }, new Rng(9));
    const train = batch(1);
    const val = batch(2);
    const xi = 3;
    const vars = supernet.paramsOfMixture().map((n) => supernet.store.get(n));

    /** J(alpha) with the current alpha variables. */
    const unrolled = async (): Promise<number> => {
      const saved = vars.map((v) => tf.clone(v));
      const { grads } = await mixtureGradients(supernet, alpha, train, vars);
      vars.forEach((v, i) => tf.tidy(() => v.assign(tf.sub(saved[i], tf.mul(grads[i] as tf.Tensor, xi)))));
      const j = tf.tidy(() => tf.losses.softmaxCrossEntropy(val.y, supernet.forwardMixture(val.x, alpha.mixture())).dataSync()[0]);
      vars.forEach((v, i) => v.assign(saved[i]));
      tf.dispose([...saved, ...(grads.filter(Boolean) as tf.Tensor[])]);
      return j;
    };

    const h = 5e-3;
    const fd: number[] = [];
    for (const a of alpha.variables) {
      const base = a.dataSync().slice();
      for (let k = 0; k < base.length; k++) {
        const at = (d: number): Promise<number> => {
          const v = base.slice();
          v[k] += d;
          a.assign(tf.tensor1d(v));
          return unrolled();
        };
        fd.push(((await at(h)) - (await at(-h))) / (2 * h));
        a.assign(tf.tensor1d(base));
      }
    }

    const before = vars.map((v) => v.dataSync().slice());
    const second = await secondOrderArchitectureGradient(supernet, alpha, train, val, xi);
    const first = await firstOrderArchitectureGradient(supernet, alpha, val);
    const flat = (gs: (tf.Tensor | undefined)[]): number[] => gs.flatMap((g) => Array.from(g!.dataSync()));
    const analytic = flat(second.grads);
    const plain = flat(first.grads);
    // the weights are restored exactly
    vars.forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(before[i])));

    const scale = Math.max(...fd.map(Math.abs));
    const miss = (g: number[]): number => Math.max(...g.map((v, i) => Math.abs(v - fd[i])));
    expect(scale).toBeGreaterThan(1e-3);
    expect(miss(analytic)).toBeLessThan(1e-2 * scale);
    expect(miss(plain)).toBeGreaterThan(1e-1 * scale);
    tf.dispose([...(second.grads.filter(Boolean) as tf.Tensor[]), ...(first.grads.filter(Boolean) as tf.Tensor[]), train.x, train.y, val.x, val.y]);
    alpha.dispose();
    supernet.dispose();
  });
});

describe('architecture weights', () => {
  it('hold only the kept candidates, step with Adam and restore exactly from a checkpoint', async () => {
    const kept = new CandidateSet(POINTS, [['conv3', 'skip'], OPS]);
    const alpha = new ArchitectureWeights(POINTS, kept, DARTS_ARCHITECTURE_OPTIMIZER, new Rng(1));
    expect(alpha.ops).toEqual([['conv3', 'skip'], OPS]);
    expect(alpha.variables.map((v) => v.shape[0])).toEqual([2, 4]);
    const w = alpha.fullWeights();
    expect(w[0][1]).toBe(0); // conv1 dropped at point a
    expect(w[0][0] + w[0][2]).toBeCloseTo(1, 6);

    // Adam's first step moves every entry by about lr (against the sign of the gradient plus weight decay)
    const before = alpha.alpha();
    await alpha.step([tf.tensor1d([1, -1]), undefined]);
    const after = alpha.alpha();
    expect(after[0][0] - before[0][0]).toBeCloseTo(-3e-4, 6);
    expect(after[0][1] - before[0][1]).toBeCloseTo(3e-4, 6);
    const saved = alpha.capture();
    await alpha.step([tf.tensor1d([0.3, 0.2]), tf.tensor1d([1, 2, 3, 4])]);
    alpha.restore(JSON.parse(JSON.stringify(saved.state)));
    expect(alpha.alpha()).toEqual(after);
    expect(Array.from(alpha.variables[0].dataSync())).toEqual(after[0].map((v) => Math.fround(v)));

    const adam = new VectorAdam(1, { ...DARTS_ARCHITECTURE_OPTIMIZER, weightDecay: 0 });
    const p = new Float64Array([0]);
    adam.step(p, [5]);
    expect(p[0]).toBeCloseTo(-3e-4, 9);
    alpha.dispose();
  });

  it('derive: the space decides, else the strongest kept candidate of every choice point', () => {
    const space = { choicePoints: POINTS } as unknown as SearchSpace;
    expect(deriveArchitecture(space, [Float32Array.from([0.1, 0, 0.6, 0.3]), Float32Array.from([0, 0, 0, 1])])).toEqual(['skip', 'none']);
    const own = { choicePoints: POINTS, derive: () => ['conv1', 'conv1'] } as unknown as SearchSpace;
    expect(deriveArchitecture(own, [new Float32Array(4), new Float32Array(4)])).toEqual(['conv1', 'conv1']);
    expect(() => deriveArchitecture(space, [new Float32Array(4), new Float32Array(4)])).toThrow(/no candidate with a positive weight/);
  });
});
