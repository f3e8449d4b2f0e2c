import { CandidateSet, Rng } from '@absnas/core';
import { MobileNetSpace, plan, skeleton } from '../src/index';

/**
 * Hand counts on a tiny configuration: the SPOS space at width 0.1 on
 * 16x16x3 input, 10 classes, minFeatureSize 2.
 *
 * Channels (floor(c * 0.1)): stem 40 -> 4, first 24 -> 2, stages 32 -> 3,
 * 56 -> 5, 112 -> 11, 128 -> 12, 256 -> 25, 432 -> 43, final 1728 -> 172.
 * Maps: stem stride 2: 16 -> 8; layer 0 stride 2: 8 -> 4; layer 4 stride 2:
 * 4 -> 2; layers 8 and 16 would make 1 < 2, so they keep stride 1; final 2x2.
 */
const INPUT = { height: 16, width: 16, channels: 3, numClasses: 10 };
const OPTIONS = { variant: 'spos' as const, widthMultiplier: 0.1, minFeatureSize: 2 };

// Child A: k3_e3 in the six stage-opening layers, identity everywhere else.
const OPENERS = [0, 4, 8, 12, 16, 20];
const childA: string[] = Array.from({ length: 21 }, (_, i) => (OPENERS.includes(i) ? 'k3_e3' : 'identity'));

describe('costs against hand counts (SPOS, width 0.1, 16x16x3, 10 classes)', () => {
  const space = new MobileNetSpace(OPTIONS);

  it('has the channel and stride plan worked out above', () => {
    const sk = skeleton(space.options);
    expect([sk.stem, sk.first, sk.last]).toEqual([4, 2, 172]);
    expect(OPENERS.map((i) => [sk.layers[i].cin, sk.layers[i].cout])).toEqual([
      [2, 3],
      [3, 5],
      [5, 11],
      [11, 12],
      [12, 25],
      [25, 43],
    ]);
    const p = plan(space.options, sk, INPUT);
    expect([p.stemStride, p.stemH, p.finalH]).toEqual([2, 8, 2]);
    expect(OPENERS.map((i) => [p.layers[i].stride, p.layers[i].inH, p.layers[i].outH])).toEqual([
      [2, 8, 4],
      [2, 4, 2],
      [1, 2, 2],
      [1, 2, 2],
      [1, 2, 2],
      [1, 2, 2],
    ]);
  });

  it('child A: FLOPs = MACs of every conv and the classifier', () => {
    // MBConv(cin -> cout, k, e) at in HxW, out H'xW': expand cin*(e*cin)*H*W, dw k*k*(e*cin)*H'*W', project (e*cin)*cout*H'*W'
    const stem = 3 * 3 * 3 * 4 * 8 * 8; //                 6912
    const first = 3 * 3 * 4 * 8 * 8 + 4 * 2 * 8 * 8; //   2304 + 512 (no expand: e = 1)
    const l0 = 2 * 6 * 8 * 8 + 9 * 6 * 4 * 4 + 6 * 3 * 4 * 4; //       768 + 864 + 288    = 1920
    const l4 = 3 * 9 * 4 * 4 + 9 * 9 * 2 * 2 + 9 * 5 * 2 * 2; //       432 + 324 + 180    = 936
    const l8 = 5 * 15 * 2 * 2 + 9 * 15 * 2 * 2 + 15 * 11 * 2 * 2; //   300 + 540 + 660    = 1500
    const l12 = 11 * 33 * 4 + 9 * 33 * 4 + 33 * 12 * 4; //             1452 + 1188 + 1584 = 4224
    const l16 = 12 * 36 * 4 + 9 * 36 * 4 + 36 * 25 * 4; //             1728 + 1296 + 3600 = 6624
    const l20 = 25 * 75 * 4 + 9 * 75 * 4 + 75 * 43 * 4; //             7500 + 2700 + 12900 = 23100
    const final = 43 * 172 * 2 * 2; //                                  29584
    const classifier = 172 * 10; //                                     1720
    const total = stem + first + l0 + l4 + l8 + l12 + l16 + l20 + final + classifier;
    expect(total).toBe(79336);
    expect(space.cost(childA, INPUT).flops).toBe(total);
  });

  it('child A: params = conv weights + BN gamma/beta + classifier weight and bias', () => {
    const stem = 3 * 3 * 3 * 4 + 2 * 4; //                                  108 + 8
    const first = 3 * 3 * 4 + 2 * 4 + 4 * 2 + 2 * 2; //                     dw 36 + 8, project 8 + 4
    const mb = (cin: number, cout: number, k: number, e: number): number => {
      const h = cin * e;
      return cin * h + 2 * h + k * k * h + 2 * h + h * cout + 2 * cout;
    };
    expect([mb(2, 3, 3, 3), mb(3, 5, 3, 3), mb(5, 11, 3, 3), mb(11, 12, 3, 3), mb(12, 25, 3, 3), mb(25, 43, 3, 3)]).toEqual([
      114, 199, 457, 1212, 1850, 6161,
    ]);
    const final = 43 * 172 + 2 * 172; //                                     7396 + 344
    const classifier = 172 * 10 + 10;
    const total = stem + first + 114 + 199 + 457 + 1212 + 1850 + 6161 + final + classifier;
    expect(total).toBe(19635);
    expect(space.cost(childA, INPUT).params).toBe(total);
  });

  it('child B = A with k7_e6 in layer 1 (3 -> 3 channels, 4x4, stride 1) adds that block', () => {
    const childB = [...childA];
    childB[1] = 'k7_e6';
    // hidden 18: expand 3*18*16 = 864, dw 49*18*16 = 14112, project 18*3*16 = 864
    const flops = 864 + 14112 + 864;
    // expand 54 + 36, dw 882 + 36, project 54 + 6
    const params = 54 + 36 + 882 + 36 + 54 + 6;
    expect(space.cost(childB, INPUT)).toEqual({ flops: 79336 + flops, params: 19635 + params });
  });

  it('agrees with the supernet modules (Conv2d.macs, parameter sizes) on random children', () => {
    const supernet = space.createSupernet(INPUT, new Rng(0));
    try {
      const rng = new Rng(5);
      const p = supernet.plan;
      for (let t = 0; t < 5; t++) {
        const arch = space.sample(new CandidateSet(space.choicePoints), rng);
        let macs = supernet.stemConv.macs(p.stemH, p.stemW);
        macs += supernet.first.convs().reduce((s, c) => s + c.macs(p.stemH, p.stemW), 0);
        arch.forEach((op, i) => {
          if (op === 'identity') return;
          const b = supernet.block(i, op);
          const lp = p.layers[i];
          macs += (b.expand?.macs(lp.inH, lp.inW) ?? 0) + b.dw.macs(lp.outH, lp.outW) + b.project.macs(lp.outH, lp.outW);
        });
        macs += supernet.finalConv.macs(p.finalH, p.finalW) + supernet.classifier.weight.size;
        const params = supernet.paramsOf(arch).reduce((s, n) => s + supernet.store.get(n).size, 0);
        expect(space.cost(arch, INPUT)).toEqual({ flops: macs, params });
      }
    } finally {
      supernet.dispose();
    }
  });
});

describe('full-scale spaces (224x224x3, 1000 classes)', () => {
  const input = { height: 224, width: 224, channels: 3, numClasses: 1000 };

  it('SPOS: the reference plan 112, 56, 28, 14, 14, 7 and 21 layers of 6 or 7 candidates', () => {
    const space = new MobileNetSpace({ variant: 'spos' });
    const p = plan(space.options, skeleton(space.options), input);
    expect([p.stemH, ...[0, 4, 8, 12, 16, 20].map((i) => p.layers[i].outH), p.finalH]).toEqual([112, 56, 28, 14, 14, 7, 7, 7]);
    expect(space.choicePoints.map((c) => c.candidates.length)).toEqual([6, 7, 7, 7, 6, 7, 7, 7, 6, 7, 7, 7, 6, 7, 7, 7, 6, 7, 7, 7, 6]);
    // all k3_e3 (no identity): within the span of the reference's children
    const flops = space.cost(Array(21).fill('k3_e3'), input).flops;
    expect(flops).toBeGreaterThan(300e6);
    expect(flops).toBeLessThan(600e6);
  });

  it('FairNAS: 19 layers of the 6 MBConv ops, 1280 final channels', () => {
    const space = new MobileNetSpace({ variant: 'fairnas' });
    expect(space.choicePoints).toHaveLength(19);
    expect(space.choicePoints.every((c) => c.candidates.join() === 'k3_e3,k3_e6,k5_e3,k5_e6,k7_e3,k7_e6')).toBe(true);
    expect(skeleton(space.options).last).toBe(1280);
    // the final conv at 7x7: 320 * 1280 * 49 MACs are part of every child
    const base = space.cost(Array(19).fill('k3_e3'), input).flops;
    expect(base).toBeGreaterThan(320 * 1280 * 49);
  });
});
