/**
 * End to end: a few SGD steps of a small convolutional network (convolutions,
 * batch norm with and without affine parameters, ReLU, average and max
 * pooling, a linear classifier, the global-norm clip over more than 8
 * gradients) on the backend under test, against the same steps on tfjs's
 * plain cpu backend. Reads are asynchronous, so that the test also runs on
 * webgpu in Node.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend';
import { BatchNorm, Conv2d, globalAvgPool, Linear } from '../../src/nn/layers';
import { ParamStore } from '../../src/nn/params';
import { crossEntropy } from '../../src/train/loss';
import { clipGlobalNorm, Sgd } from '../../src/train/sgd';
import { Rng } from '../../src/util/rng';
import { BACKEND_UNDER_TEST, expectClose } from './helpers';
import { seeded } from './reference';

const STEPS = 3;

interface Trace {
  losses: number[];
  weights: Map<string, Float32Array>;
}

async function train(): Promise<Trace> {
  const store = new ParamStore(new Rng(5));
  const c1 = new Conv2d(store, 'c1', 3, 6, 3);
  const b1 = new BatchNorm(store, 'b1', 6, true);
  const c2 = new Conv2d(store, 'c2', 6, 6, 3, 1, 1, 1, true);
  const b2 = new BatchNorm(store, 'b2', 6, true);
  const c3 = new Conv2d(store, 'c3', 6, 8, 1, 1, 0);
  const b3 = new BatchNorm(store, 'b3', 8, false);
  const c4 = new Conv2d(store, 'c4', 8, 8, 3, 2, 1, 1, false, true);
  const fc = new Linear(store, 'fc', 8, 4);
  const x = tf.tensor4d(Float32Array.from(seeded(6 * 8 * 8 * 3, 1)), [6, 8, 8, 3]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 1, 2], 'int32'), 4).toFloat() as tf.Tensor2D;
  const forward = () =>
    tf.tidy(() => {
      let h = tf.relu(b1.apply(c1.apply(x), 'train'));
      h = tf.avgPool(h, 3, 1, 'same');
      h = tf.relu(b2.apply(c2.apply(h), 'train'));
      h = tf.maxPool(h, 2, 2, 'same');
      h = tf.relu(b3.apply(c3.apply(h), 'train'));
      h = c4.apply(h);
      return fc.apply(globalAvgPool(h));
    });
  const sgd = new Sgd({ momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  const names = [...store.params.keys()];
  expect(names.length).toBeGreaterThan(8);
  const vars = names.map((n) => store.get(n));
  const losses: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    const { value, grads } = tf.variableGrads(() => crossEntropy(forward(), y), vars);
    const named: tf.NamedTensorMap = {};
    vars.forEach((v, i) => (named[names[i]] = grads[v.name]));
    clipGlobalNorm(named, 0.5);
    sgd.step(store.params, named, 0.1);
    tf.dispose(Object.values(named));
    losses.push((await value.data())[0]);
    value.dispose();
  }
  const weights = new Map<string, Float32Array>();
  for (const n of names) weights.set(n, (await store.get(n).data()) as Float32Array);
  for (const n of ['b1', 'b3']) weights.set(`${n}.running_var`, (await store.buffers.get(`${n}.running_var`)!.data()) as Float32Array);
  tf.dispose([x, y]);
  sgd.dispose();
  store.dispose();
  return { losses, weights };
}

test(`${STEPS} training steps on ${BACKEND_UNDER_TEST} match the cpu backend`, async () => {
  const got = await train();
  await selectBackend('cpu');
  let want: Trace;
  try {
    want = await train();
  } finally {
    await selectBackend(BACKEND_UNDER_TEST as 'wasm');
  }
  expect(got.losses.every(Number.isFinite)).toBe(true);
  expect(got.losses[STEPS - 1]).toBeLessThan(got.losses[0]);
  expectClose('losses', got.losses, want.losses, 1e-3);
  for (const [name, w] of want.weights) expectClose(name, got.weights.get(name) as Float32Array, w, 1e-3);
}, 120000);
