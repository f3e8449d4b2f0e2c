import { BatchNorm, Conv2d, Linear, ParamStore, probeForward, relu, relu6, Rng, tf } from '../../src';
import type { ActivationSite, LayerSite } from '../../src';

describe('forward probes', () => {
  let store: ParamStore;
  let conv: Conv2d;
  let bn: BatchNorm;
  let linear: Linear;
  const x = (): tf.Tensor4D => tf.tensor4d([-1, 2, -3, 4, 5, -6, 7, -8], [2, 2, 2, 1]);
  /** conv -> bn -> relu -> global mean -> linear -> relu6 */
  const net = (input: tf.Tensor4D): tf.Tensor2D =>
    tf.tidy(() => relu6(linear.apply(tf.mean(relu(bn.apply(conv.apply(input), 'train')), [1, 2]) as tf.Tensor2D)));

  beforeAll(() => {
    store = new ParamStore(new Rng(3));
    conv = new Conv2d(store, 'c', 1, 3, 1);
    bn = new BatchNorm(store, 'bn', 3, true);
    linear = new Linear(store, 'fc', 3, 2);
  });
  afterAll(() => store.dispose());

  it('change nothing outside a probed pass: relu and relu6 are tf.relu and tf.relu6', () => {
    const v = tf.tensor1d([-7, -0.5, 0, 0.5, 3, 6, 9]);
    expect(Array.from(relu(v).dataSync())).toEqual(Array.from(tf.relu(v).dataSync()));
    expect(Array.from(relu6(v).dataSync())).toEqual(Array.from(tf.relu6(v).dataSync()));
    v.dispose();
  });

  it('show every activation input and layer output in order, and use a returned tensor in its place', () => {
    const input = x();
    const seen: string[] = [];
    const plain = net(input);
    const probed = probeForward(
      {
        activation(t: tf.Tensor, site: ActivationSite) {
          seen.push(`${site.kind}#${site.index}[${t.shape}]`);
          return site.kind === 'relu' ? tf.abs(t) : undefined; // |x| instead of relu(x)
        },
        layer(t: tf.Tensor, site: LayerSite) {
          seen.push(`${site.kind}:${site.name}#${site.index}[${t.shape}] w[${site.weight.shape}]`);
        },
      },
      () => net(input),
    );
    expect(seen).toEqual(['conv:c#0[2,2,2,3] w[1,1,1,3]', 'relu#0[2,2,2,3]', 'linear:fc#1[2,2] w[3,2]', 'relu6#1[2,2]']);
    const expected = tf.tidy(() => relu6(linear.apply(tf.mean(tf.abs(bn.apply(conv.apply(input), 'train')), [1, 2]) as tf.Tensor2D)));
    expect(Array.from(probed.dataSync())).toEqual(Array.from(expected.dataSync()));
    expect(Array.from(probed.dataSync())).not.toEqual(Array.from(plain.dataSync()));
    tf.dispose([input, plain, probed, expected]);
  });

  it("bypass batch norm: the input passes unchanged and the running statistics stay as they were", () => {
    const input = x();
    const before = Array.from(bn.runningMean.dataSync());
    const y = probeForward({ batchNorm: 'bypass' }, () => bn.apply(conv.apply(input), 'train'));
    const c = conv.apply(input);
    expect(Array.from(y.dataSync())).toEqual(Array.from(c.dataSync()));
    expect(Array.from(bn.runningMean.dataSync())).toEqual(before);
    tf.dispose([input, y, c]);
  });

  it('nest (the innermost probe sees) and refuse an asynchronous function', () => {
    const outer: number[] = [];
    const inner: number[] = [];
    const v = tf.tensor1d([1, -1]);
    tf.tidy(() =>
      probeForward({ activation: (_t, s) => void outer.push(s.index) }, () => {
        relu(v);
        probeForward({ activation: (_t, s) => void inner.push(s.index) }, () => relu(v));
        relu(v);
      }),
    );
    expect(outer).toEqual([0, 1]);
    expect(inner).toEqual([0]);
    expect(() => probeForward({}, async () => 1)).toThrow(/synchronous/);
    v.dispose();
  });
});
