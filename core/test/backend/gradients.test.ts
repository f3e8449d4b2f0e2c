/**
 * The gradient computation that releases memory during the backward pass
 * (backend/gradients.ts): the same gradients as tfjs's own computation, bit
 * for bit, no tensor left behind, nested gradients, and the saved tensors
 * freed before the backward pass reaches the first op.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTrain, setFrugalGradients } from '../../src/backend';
import { randomPair } from './helpers';

afterEach(() => setFrugalGradients(true));

/** A small network with the ops of a cell: ReLU, convolutions, batch norm, addN of edges, pooling, a shared input. */
function net(x: tf.Tensor4D, w1: tf.Tensor4D, w2: tf.Tensor4D): tf.Scalar {
  const a = tf.conv2d(tf.relu(x), w1, 1, 'same');
  const bn = batchNormTrain(a, undefined, undefined, 1e-5);
  tf.dispose([bn.mean, bn.variance]);
  const b = tf.conv2d(tf.relu(bn.y), w2, 1, 'same');
  const node = tf.addN([x, b, tf.avgPool(bn.y, 3, 1, 'same')]);
  return tf.mean(tf.square(tf.relu(node)));
}

/** (reads asynchronously: the webgpu backend in Node has no synchronous reads) */
async function gradients(frugal: boolean): Promise<{ loss: Float32Array; grads: Float32Array[] }> {
  setFrugalGradients(frugal);
  const variable = (shape: number[], seed: number, name: string) => {
    const { t } = randomPair(shape, seed);
    const v = tf.variable(t, true, `${name}${frugal}`);
    t.dispose();
    return v;
  };
  const x = variable([2, 8, 8, 4], 1, 'x');
  const w1 = variable([3, 3, 4, 4], 2, 'w1');
  const w2 = variable([1, 1, 4, 4], 3, 'w2');
  const { value, grads } = tf.variableGrads(() => net(x as unknown as tf.Tensor4D, w1 as unknown as tf.Tensor4D, w2 as unknown as tf.Tensor4D), [x, w1, w2]);
  const out = {
    loss: (await value.data()) as Float32Array,
    grads: (await Promise.all([x, w1, w2].map((v) => grads[v.name].data()))) as Float32Array[],
  };
  tf.dispose([value, ...Object.values(grads), x, w1, w2]);
  return out;
}

describe('gradients with memory released during the backward pass', () => {
  test('bitwise the gradients of tfjs\'s own computation, and no tensor left behind', async () => {
    const before = tf.memory().numTensors;
    const frugal = await gradients(true);
    expect(tf.memory().numTensors).toBe(before);
    const stock = await gradients(false);
    expect(Buffer.from(frugal.loss.buffer).equals(Buffer.from(stock.loss.buffer))).toBe(true);
    frugal.grads.forEach((g, i) => expect(Buffer.from(g.buffer).equals(Buffer.from(stock.grads[i].buffer))).toBe(true));
  });

  test('with a given dy, tf.grads of several inputs, and a second derivative (nested gradients)', async () => {
    const a = tf.tensor1d([0.5, -1.5, 2]);
    const b = tf.tensor1d([3, 1, -2]);
    const dy = tf.tensor1d([1, 2, 3]);
    const before = tf.memory().numTensors;
    const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.mul(tf.square(p), q))([a, b], dy);
    expect(Array.from(await da.data())).toEqual([3, -6, -24]); // 2 a b dy
    expect(Array.from(await db.data())).toEqual([0.25, 4.5, 12]); // a^2 dy
    expect(dy.isDisposed).toBe(false);
    // d2/da2 of sum(a^3) = 6a
    const second = tf.grad((p: tf.Tensor) => tf.sum(tf.grad((q: tf.Tensor) => tf.sum(tf.mul(q, tf.mul(q, q))))(p)))(a);
    expect(Array.from(await second.data())).toEqual([3, -9, 12]);
    tf.dispose([da, db, second]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b, dy]);
  });

  test('saved tensors are released before the backward pass reaches the first op', () => {
    // a probe at the start of a long chain records the live bytes when its gradient runs (the last one)
    const liveAtProbe = (frugal: boolean): number => {
      setFrugalGradients(frugal);
      let live = 0;
      const probe = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
        value: tf.clone(args[0] as tf.Tensor),
        gradFunc: (dy: tf.Tensor) => {
          live = tf.memory().numBytes;
          return dy;
        },
      }));
      const init = randomPair([8, 16, 16, 8], 4).t;
      const x = tf.variable(init, true, `probe${frugal}`);
      init.dispose();
      const { value, grads } = tf.variableGrads(() => {
        let h = probe(x) as tf.Tensor;
        for (let i = 0; i < 10; i++) h = tf.relu(tf.mul(h, 1.1));
        return tf.sum(h) as tf.Scalar;
      }, [x]);
      tf.dispose([value, ...Object.values(grads), x]);
      return live;
    };
    const stock = liveAtProbe(false);
    const frugal = liveAtProbe(true);
    const tensorBytes = 8 * 16 * 16 * 8 * 4;
    // tfjs keeps the 10 ReLU outputs and multiply inputs and every intermediate gradient; here only a few tensors remain
    expect(stock - frugal).toBeGreaterThan(15 * tensorBytes);
    expect(frugal).toBeLessThan(stock / 3);
  });
});
