import { CandidateSet, Rng, WeightSegment } from '@absnas/core';
import { parseArchitecture } from '../src/genotype';
import { DartsSpace } from '../src/space';
import { NUM_EDGES, PATHS, edgeIndex } from '../src/topology';

const V2 =
  "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), " +
  "('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), " +
  "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), " +
  "('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";

const cell = (pair: string): string => `[${Array(4).fill(pair).join(', ')}]`;
/** Every node: normal (sep_conv_3x3 from 0, skip from 1); reduce (skip from 0 = FactorizedReduce, dil_conv_5x5 from 1), both stride 2. */
const TINY = `Genotype(normal=${cell("('sep_conv_3x3', 0), ('skip_connect', 1)")}, normal_concat=[2, 3, 4, 5], reduce=${cell(
  "('skip_connect', 0), ('dil_conv_5x5', 1)",
)}, reduce_concat=[2, 3, 4, 5])`;

describe('DARTS standalone network cost', () => {
  it('matches a hand count on C=2, 3 cells (reductions at cells 1 and 2), 8x8x3 input, 10 classes', () => {
    const space = new DartsSpace({ networkChannels: 2, networkLayers: 3 });
    const input = { height: 8, width: 8, channels: 3, numClasses: 10 };
    const arch = parseArchitecture(TINY);
    // params
    const stem = 3 * 3 * 3 * 6 + 2 * 6; // 3x3 conv 3->6, BN(6)
    const cell0 = (6 * 2 + 4) * 2 + 4 * (2 * 2 * 2 + 22 * 2); // pre0, pre1 (1x1 6->2 + BN); 4 x sep_conv_3x3 (2c^2 + 22c), c=2
    const cell1 = 6 * 4 + 8 + (8 * 4 + 8) + 4 * (4 * 4 + 2 * 4 + (4 * 4 + 27 * 4)); // pre0 6->4, pre1 8->4; 4 x (FR c^2+2c, dil5 c^2+27c), c=4
    const cell2 = 2 * 8 * 4 + 16 + (16 * 8 + 16) + 4 * (8 * 8 + 2 * 8 + (8 * 8 + 27 * 8)); // pre0 FR 8->8, pre1 16->8; c=8
    const classifier = 32 * 10 + 10;
    expect(stem + cell0 + cell1 + cell2 + classifier).toBe(3072);
    // FLOPs (multiply-accumulates per image)
    const fStem = 162 * 64;
    const fCell0 = 12 * 64 * 2 + 4 * (9 * 2 + 4 + 9 * 2 + 4) * 64; // 8x8 maps
    const fCell1 = 24 * 64 + 32 * 64 + 4 * (2 * 8 + 25 * 4 + 16) * 16; // preprocess at 8x8, ops produce 4x4
    const fCell2 = 2 * 32 * 16 + 128 * 16 + 4 * (2 * 32 + 25 * 8 + 64) * 4; // preprocess at 4x4, ops produce 2x2
    expect(space.cost(arch, input)).toEqual({ params: 3072, flops: fStem + fCell0 + fCell1 + fCell2 + 320 });
    expect(fStem + fCell0 + fCell1 + fCell2 + 320).toBe(43840);
  });

  it("counts DARTS-V2 at C=36, 20 cells as DARTS does (3,349,342 without the auxiliary head)", () => {
    const space = new DartsSpace();
    const cifar = { height: 32, width: 32, channels: 3, numClasses: 10 };
    const cost = space.cost(parseArchitecture(V2), cifar);
    expect(cost.params).toBe(3349342);
    expect(cost.flops).toBe(528359040);
  });

  it('agrees with the variables of a built standalone network (random children, any in-degree)', () => {
    const space = new DartsSpace({ networkChannels: 2, networkLayers: 4 });
    const input = { height: 8, width: 8, channels: 1, numClasses: 4 };
    const rng = new Rng(5);
    const all = new CandidateSet(space.choicePoints);
    for (const arch of [parseArchitecture(TINY), space.sample(all, rng), all.sampleUniform(rng)]) {
      const net = space.createNetwork(arch, input, new Rng(1), { channels: 2, layers: 4, auxiliary: true });
      expect(net.paramCount()).toBe(space.cost(arch, input).params);
      net.dispose();
    }
  });
});

describe('DARTS angle layout', () => {
  it('has 16 input-to-output paths, 8 from each input', () => {
    expect(PATHS).toHaveLength(16);
    expect(PATHS.slice(0, 4)).toEqual([
      [edgeIndex(0, 2), edgeIndex(2, 3), edgeIndex(3, 4), edgeIndex(4, 5)],
      [edgeIndex(0, 2), edgeIndex(2, 3), edgeIndex(3, 5)],
      [edgeIndex(0, 2), edgeIndex(2, 4), edgeIndex(4, 5)],
      [edgeIndex(0, 2), edgeIndex(2, 5)],
    ]);
    expect(PATHS[7]).toEqual([edgeIndex(0, 5)]);
    expect(PATHS[15]).toEqual([edgeIndex(1, 5)]);
  });

  it('concatenates the live paths of every cell, then the fixed parts (hand-worked, one reduction cell of c=4)', () => {
    const space = new DartsSpace({ channels: 2, layers: 1 });
    const ops = Array(NUM_EDGES).fill('none');
    ops[edgeIndex(0, 2)] = 'sep_conv_3x3';
    ops[edgeIndex(1, 2)] = 'skip_connect';
    ops[edgeIndex(2, 3)] = 'dil_conv_3x3';
    ops[edgeIndex(2, 5)] = 'avg_pool_3x3';
    ops[edgeIndex(3, 5)] = 'skip_connect';
    const arch = [...Array(NUM_EDGES).fill('sep_conv_5x5'), ...ops]; // one cell, a reduction cell: the normal half is unused
    const sep = (m: string): WeightSegment => ({ param: `cells.0.edge.2<-0.sep_conv_3x3.${m}.weight` });
    const dil = (m: string): WeightSegment => ({ param: `cells.0.edge.3<-2.dil_conv_3x3.${m}.weight` });
    const pool: WeightSegment = { constant: 1 / 9, size: 4 * 9 };
    const seps = ['dw1', 'pw1', 'dw2', 'pw2'].map(sep);
    const dils = ['dw', 'pw'].map(dil);
    // live paths in PATHS order: 0-2-3-5, 0-2-5, 1-2-3-5, 1-2-5 (skips add nothing; node 4 has no input)
    const expected: WeightSegment[] = [
      ...seps, ...dils,
      ...seps, pool,
      ...dils,
      pool,
      { param: 'stem.conv.weight' }, { param: 'cells.0.pre0.conv.weight' }, { param: 'cells.0.pre1.conv.weight' }, { param: 'classifier.weight' },
    ];
    const layout = space.weightLayout(arch);
    expect(layout.segments).toEqual(expected);
    expect(layout.allPathsCut).toBe(false);
    // every named segment is a supernet parameter
    const net = space.createSupernet({ height: 4, width: 4, channels: 1, numClasses: 2 }, new Rng(0));
    for (const s of layout.segments) if ('param' in s) expect(net.store.params.has(s.param)).toBe(true);
    net.dispose();
  });

  it('repeats cells in order (normal cells use the normal half) and uses FactorizedReduce preprocessing after a reduction', () => {
    const space = new DartsSpace({ channels: 2, layers: 3 });
    const normal = Array(NUM_EDGES).fill('none');
    normal[edgeIndex(0, 5)] = 'max_pool_3x3';
    const reduce = Array(NUM_EDGES).fill('none');
    reduce[edgeIndex(1, 5)] = 'sep_conv_5x5';
    const layout = space.weightLayout([...normal, ...reduce]);
    const names = layout.segments.map((s) => ('param' in s ? s.param : `const${s.size}`));
    expect(names).toEqual([
      'const18', // cell 0 (normal, c=2): path 0-5 through max pooling
      ...['dw1', 'pw1', 'dw2', 'pw2'].map((m) => `cells.1.edge.5<-1.sep_conv_5x5.${m}.weight`), // cell 1 (reduction, c=4)
      ...['dw1', 'pw1', 'dw2', 'pw2'].map((m) => `cells.2.edge.5<-1.sep_conv_5x5.${m}.weight`), // cell 2 (reduction, c=8)
      'stem.conv.weight',
      'cells.0.pre0.conv.weight', 'cells.0.pre1.conv.weight',
      'cells.1.pre0.conv.weight', 'cells.1.pre1.conv.weight',
      'cells.2.pre0.conv_1.weight', 'cells.2.pre0.conv_2.weight', 'cells.2.pre1.conv.weight',
      'classifier.weight',
    ]);
    expect(space.weightLayout(Array(28).fill('none')).allPathsCut).toBe(true);
  });
});
