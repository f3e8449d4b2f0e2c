import { InputSpec } from '@absnas/core';
import { Nb201Space } from '../src/space';
import { readArchStrings } from './nb201-csv';

const CIFAR10: InputSpec = { height: 32, width: 32, channels: 3, numClasses: 10 };

/** The official records (README of the benchmark folder): params and FLOPs in millions. */
const OFFICIAL: [number, number, number][] = [
  [0, 0.129306, 15.64737],
  [11, 0.802426, 113.95137],
  [284, 0.101306, 11.71521],
];

describe('cost() against the official NAS-Bench-201 records (C=16, N=5, CIFAR-10)', () => {
  const space = new Nb201Space({ channels: 16, cellsPerStage: 5 });
  const archs = readArchStrings();

  it.each(OFFICIAL)('index %i: %f M params, %f M FLOPs, exactly (to the records\' last digit)', (index, params, flops) => {
    const cost = space.cost(space.parse(archs.get(index)!), CIFAR10);
    // the records round to 1e-6 M params and 1e-5 M FLOPs; we reproduce every digit
    expect(cost.params / 1e6).toBeCloseTo(params, 6);
    expect(cost.flops / 1e6).toBeCloseTo(flops, 5);
    expect(Math.round(cost.params)).toBe(Math.round(params * 1e6));
    expect(Math.round(cost.flops)).toBe(Math.round(flops * 1e6));
  });
});

describe('cost() by hand', () => {
  it('counts the fixed skeleton only for an all-none cell', () => {
    const space = new Nb201Space({ channels: 2, cellsPerStage: 1 });
    const input: InputSpec = { height: 4, width: 4, channels: 1, numClasses: 3 };
    const c = space.cost(['none', 'none', 'none', 'none', 'none', 'none'], input);
    // stem 1->2 conv3x3 (18 weights, 16 px) + BN(4);
    // reduction 2->4 at 2x2: conv_a 72 + BN 8, conv_b 144 + BN 8, shortcut 8;
    // reduction 4->8 at 1x1: conv_a 288 + BN 16, conv_b 576 + BN 16, shortcut 32;
    // final BN 16; classifier 8*3 + 3
    expect(c.params).toBe(18 + 4 + (72 + 8 + 144 + 8 + 8) + (288 + 16 + 576 + 16 + 32) + 16 + 27);
    expect(c.flops).toBe(18 * 16 + (72 + 144 + 8) * 4 + (288 + 576 + 32) * 1 + 27);
  });

  it('adds every conv edge per cell, with affine BN, independent of connectivity', () => {
    const space = new Nb201Space({ channels: 2, cellsPerStage: 1 });
    const input: InputSpec = { height: 4, width: 4, channels: 1, numClasses: 3 };
    const base = space.cost(['none', 'none', 'none', 'none', 'none', 'none'], input);
    // a 3x3 conv on 1<-0 whose node 1 never reaches the output still counts
    const c = space.cost(['nor_conv_3x3', 'none', 'none', 'none', 'none', 'none'], input);
    expect(c.params - base.params).toBe(9 * 2 * 2 + 4 + (9 * 4 * 4 + 8) + (9 * 8 * 8 + 16));
    expect(c.flops - base.flops).toBe(9 * 2 * 2 * 16 + 9 * 4 * 4 * 4 + 9 * 8 * 8 * 1);
    // pooling and skip are free
    const p = space.cost(['avg_pool_3x3', 'skip_connect', 'avg_pool_3x3', 'skip_connect', 'none', 'none'], input);
    expect(p).toEqual(base);
  });

  it('rejects inputs whose sides are not divisible by 4', () => {
    const space = new Nb201Space();
    expect(() => space.cost(['none', 'none', 'none', 'none', 'none', 'none'], { ...CIFAR10, height: 30 })).toThrow(
      /divisible by 4/,
    );
  });
});

describe('withOptions()', () => {
  it('gives the same space with other macro options and leaves the original alone', () => {
    const space = new Nb201Space({ channels: 16, cellsPerStage: 1 });
    const deeper = space.withOptions({ cellsPerStage: 5 });
    expect(deeper.options).toEqual({ ...space.options, cellsPerStage: 5 });
    expect(space.options.cellsPerStage).toBe(1);
    const arch = space.parse('|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|');
    // 4 more cells per stage, each with the arch's 5 ReLU-conv3x3-BN edges (standalone BN: affine, 2c)
    const perCell = (c: number): number => 5 * (c * c * 9 + 2 * c);
    expect(deeper.cost(arch, CIFAR10).params - space.cost(arch, CIFAR10).params).toBe(4 * (perCell(16) + perCell(32) + perCell(64)));
  });

  it('rejects a bad option with the option named', () => {
    expect(() => new Nb201Space().withOptions({ cellsPerStage: 0 })).toThrow(/cellsPerStage/);
  });
});
