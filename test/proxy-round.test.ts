/** ProxyRound (core): the network a zero-cost proxy scores for a child, its batch, and what it puts back. */
import { Nb201Space } from '@absnas/space-nb201';
import { CandidateSet, DataError, loadSynthetic, MetricContext, ProxyChild, ProxyRound, proxyPlugin, readTensors, Rng, tf } from '@absnas/core';

/** A proxy score that depends on every weight of the child: the sum of its kernels' squared entries. */
async function kernelSquares(child: Pick<ProxyChild, 'store' | 'kernels'>): Promise<number> {
  const values = await readTensors(child.kernels.map((n) => [n, child.store.get(n)]));
  let s = 0;
  for (const v of values.values()) for (const x of v) s += x * x;
  return s;
}

describe('ProxyRound', () => {
  const space = new Nb201Space({ channels: 2, cellsPerStage: 1 });
  const data = loadSynthetic({ trainSize: 40, valSize: 8, testSize: 8, channels: 3, rng: new Rng(9) });
  const archs = ['|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|', '|nor_conv_1x1~0|+|none~0|nor_conv_3x3~1|+|nor_conv_3x3~0|none~1|skip_connect~2|'].map((a) => space.parse(a));
  let supernet: ReturnType<typeof space.createSupernet>;
  const ctx = (seed: number): MetricContext => ({ space, supernet, candidates: new CandidateSet(space.choicePoints), base: new Map(), data, rng: new Rng(seed) });

  beforeAll(() => {
    supernet = space.createSupernet(data.input, new Rng(0));
  });
  afterAll(() => supernet.dispose());

  it("'fresh' gives each child weights of its own, drawn from the round's seed and the child whatever the order", async () => {
    const tensors = tf.memory().numTensors;
    const scoreAll = async (seed: number, order: number[]): Promise<number[]> => {
      const round = await ProxyRound.prepare(ctx(seed), 'test', { network: 'fresh' });
      const out: number[] = [];
      for (const i of order) out[i] = await round.score(archs[i], kernelSquares);
      round.dispose();
      return out;
    };
    const a = await scoreAll(1, [0, 1]);
    expect(await scoreAll(1, [1, 0])).toEqual(a);
    const b = await scoreAll(2, [0, 1]);
    expect(b[0]).not.toBe(a[0]);
    // not the supernet's weights
    const round = await ProxyRound.prepare(ctx(1), 'test', { network: 'supernet' });
    expect(await round.score(archs[0], kernelSquares)).not.toBe(a[0]);
    round.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it("'supernet' scores the supernet's child and puts back what the proxy changed", async () => {
    const before = await supernet.store.read();
    const buffers = await supernet.store.readBuffers();
    const round = await ProxyRound.prepare(ctx(1), 'test', { network: 'supernet', batchSize: 16, augment: true });
    expect(round.batch!.x.shape).toEqual([16, 8, 8, 3]);
    const kernels = supernet.paramsOf(archs[0]).filter((n) => supernet.store.roleOf(n) === 'kernel');
    const expected = await kernelSquares({ store: supernet.store, kernels });
    const score = await round.score(archs[0], async (child) => {
      // a proxy that changes weights and running statistics (as synflow and a training-mode pass do)
      for (const n of child.params) tf.tidy(() => child.store.get(n).assign(tf.mul(child.store.get(n), -3)));
      tf.tidy(() => child.forward(round.batch!.x, 'train'));
      return 0;
    });
    expect(score).toBe(0);
    expect(await kernelSquares({ store: supernet.store, kernels })).toBe(expected);
    expect(await supernet.store.read()).toEqual(before);
    expect(await supernet.store.readBuffers()).toEqual(buffers);
    round.dispose();
  });

  it('says when the batch is larger than the training split', async () => {
    await expect(ProxyRound.prepare(ctx(1), 'my-proxy', { network: 'fresh', batchSize: 64 })).rejects.toThrow(DataError);
    await expect(ProxyRound.prepare(ctx(1), 'my-proxy', { network: 'fresh', batchSize: 64 })).rejects.toThrow(/my-proxy: batchSize 64 is larger than the 40 training images/);
  });

  it('makes a plugin with the options of its batch, and none for a proxy without data', () => {
    const score = async (): Promise<number> => 1;
    const withBatch = proxyPlugin({ name: 'p', apiVersion: '1.0.0', metric: 'p', description: 'd', batch: { batchSize: 32, augment: false }, score });
    expect(withBatch.schema).toMatchObject({
      additionalProperties: false,
      properties: { network: { enum: ['fresh', 'supernet'], default: 'fresh' }, batchSize: { default: 32 }, augment: { default: false } },
    });
    const without = proxyPlugin({ name: 'q', apiVersion: '1.0.0', metric: 'q', description: 'd', score });
    expect(Object.keys(without.schema.properties as object)).toEqual(['network']);
  });
});
