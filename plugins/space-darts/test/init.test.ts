import { ConfigError, InputSpec, Rng } from '@absnas/core';
import { DartsSpace } from '../src/space';

const INPUT: InputSpec = { height: 8, width: 8, channels: 3, numClasses: 10 };

/** Fan-in of a conv kernel of shape [k, k, cin, cout] ([k, k, cin, 1] for the depthwise ones: k * k). */
const fanIn = (shape: number[]): number => shape[0] * shape[1] * (shape[3] === 1 ? 1 : shape[2]);

/** Every conv kernel value divided by `bound(fanIn)`, pooled; and the classifier's weight and bias. */
function initialValues(init: 'pytorch' | 'kaiming', bound: (fanIn: number) => number) {
  const net = new DartsSpace({ channels: 4, layers: 3, init }).createSupernet(INPUT, new Rng(5));
  const scaled: number[] = [];
  const snapshot = net.store.snapshot();
  for (const [name, v] of net.store.params) {
    const shape = v.shape as number[];
    if (net.store.roleOf(name) !== 'kernel' || shape.length !== 4) continue;
    const b = bound(fanIn(shape));
    for (const x of snapshot.get(name) as Float32Array) scaled.push(x / b);
  }
  const out = { scaled, fcWeight: Array.from(snapshot.get('classifier.weight') as Float32Array), fcBias: Array.from(snapshot.get('classifier.bias') as Float32Array) };
  net.dispose();
  return out;
}

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const variance = (v: number[]): number => mean(v.map((x) => x * x)) - mean(v) ** 2;

describe("space-darts option 'init'", () => {
  // x ~ U(-1, 1): E x = 0, E x^2 = 1/3, Var x^2 = 1/5 - 1/9; the tolerances are 5 standard errors
  const expectUnitUniform = (v: number[]): void => {
    expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(1);
    expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(0.99);
    expect(Math.abs(mean(v))).toBeLessThan(5 * Math.sqrt(1 / 3 / v.length));
    expect(Math.abs(variance(v) - 1 / 3)).toBeLessThan(5 * Math.sqrt((1 / 5 - 1 / 9) / v.length));
  };

  it("'kaiming': conv kernels U(+-sqrt(6/fan_in)) as kaiming_uniform_, classifier N(0, 0.01) with zero bias", () => {
    const k = initialValues('kaiming', (f) => Math.sqrt(6 / f));
    expect(k.scaled.length).toBeGreaterThan(10000);
    expectUnitUniform(k.scaled);
    expect(Math.abs(mean(k.fcWeight))).toBeLessThan(5 * 0.01 / Math.sqrt(k.fcWeight.length));
    expect(Math.abs(Math.sqrt(variance(k.fcWeight)) - 0.01)).toBeLessThan(5 * 0.01 / Math.sqrt(2 * k.fcWeight.length));
    expect(k.fcBias.every((b) => b === 0)).toBe(true);
  });

  it("'pytorch' (the default): conv kernels U(+-1/sqrt(fan_in)); the classifier too", () => {
    const p = initialValues('pytorch', (f) => 1 / Math.sqrt(f));
    expectUnitUniform(p.scaled);
    expect(p.fcBias.some((b) => b !== 0)).toBe(true);
    expect(new DartsSpace().options.init).toBe('pytorch');
  });

  it('refuses an unknown scheme with a clear error', () => {
    expect(() => new DartsSpace({ init: 'xavier' as 'kaiming' })).toThrow(ConfigError);
    expect(() => new DartsSpace({ init: 'xavier' as 'kaiming' })).toThrow(/option 'init' must be one of pytorch, kaiming, got "xavier"/);
  });
});

describe("space-darts option 'affine'", () => {
  it('gives the search cells batch norms with scale and shift, trained on the path that uses them', () => {
    const arch = Array(28).fill('none');
    arch[0] = 'max_pool_3x3'; // normal cell, node 2 <- 0
    arch[1] = 'sep_conv_3x3'; // node 2 <- 1
    const names = (affine: boolean) => {
      const net = new DartsSpace({ channels: 2, layers: 3, affine }).createSupernet(INPUT, new Rng(1));
      const all = [...net.store.params.keys()];
      const used = net.paramsOf(arch);
      net.dispose();
      return { all, used };
    };
    const plain = names(false);
    const affine = names(true);
    const cellNorms = (l: string[]) => l.filter((n) => /^cells\..*\.(gamma|beta)$/.test(n));
    expect(cellNorms(plain.all)).toEqual([]);
    expect(cellNorms(affine.all).length).toBeGreaterThan(100);
    expect(affine.used).toEqual(expect.arrayContaining(['cells.0.edge.2<-0.max_pool_3x3.bn.gamma', 'cells.0.pre0.bn.beta']));
    expect(affine.used.some((n) => n.startsWith('cells.0.edge.2<-1.sep_conv_3x3.') && n.endsWith('.gamma'))).toBe(true);
    // the same conv weights either way: only the norms' parameters are added
    expect(affine.all.filter((n) => !/\.(gamma|beta)$/.test(n))).toEqual(plain.all.filter((n) => !/\.(gamma|beta)$/.test(n)));
    expect(() => new DartsSpace({ affine: 'yes' as unknown as boolean })).toThrow(/option 'affine' must be true or false, got "yes"/);
  });
});
