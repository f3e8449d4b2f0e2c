import {
  CandidateSet,
  InputSpec,
  Metric,
  ParamStore,
  Rng,
  ShrinkConfig,
  ShrinkTrainer,
  Shrinker,
  Supernet,
  SupernetTrainer,
  TrainConfig,
  loadSynthetic,
  standaloneServices,
  tf,
} from '@absnas/core';
import { activeCells, isReduction } from '../src/macro';
import { DartsSpace } from '../src/space';
import { DartsSupernet } from '../src/supernet';

/**
 * The reference's growth (super_model.py: Network_ImageNet(layers=3), then
 * insert_layer / get_insert_location), simulated on a list of cell labels:
 * the cells present after each insertion, as positions in the final network.
 */
function referenceGrowth(layers: number): number[][] {
  const cells: { id: number; reduction: boolean }[] = [
    { id: 0, reduction: false },
    { id: 1, reduction: true },
    { id: 2, reduction: true },
  ];
  const present: number[][] = [[0, 1, 2]];
  for (let id = 3; id < layers; id++) {
    const r = cells.map((c, i) => (c.reduction ? i : -1)).filter((i) => i >= 0);
    const front = r[0];
    const mid = r[1] - r[0] - 1;
    const back = cells.length - r[1] - 1;
    let at: number;
    if (front === mid && mid === back) at = r[0];
    else if (mid < front) at = r[1];
    else if (back < mid) at = cells.length;
    else throw new Error('wrong insert order');
    cells.splice(at, 0, { id, reduction: false });
    present.push(cells.map((c) => c.id));
  }
  // final position of every id
  const position = new Map(cells.map((c, i) => [c.id, i]));
  return present.map((ids) => ids.map((id) => position.get(id) as number).sort((a, b) => a - b));
}

describe('progressive depth (the ABS DARTS warm-up)', () => {
  it.each([5, 8, 11, 14, 17, 20])('grows %i cells as the reference inserts them', (layers) => {
    const reference = referenceGrowth(layers);
    for (let count = 3; count <= layers; count++) expect(activeCells(layers, count)).toEqual(reference[count - 3]);
    // and the reference's final layout is absnas's: reductions at layers/3 and 2*layers/3
    expect(activeCells(layers, layers).filter((i) => isReduction(i, layers))).toEqual([Math.floor(layers / 3), Math.floor((2 * layers) / 3)]);
  });

  it('refuses a depth out of range', () => {
    expect(() => activeCells(14, 2)).toThrow(/2 active cells of 14: expected an integer from 3 to 14/);
    expect(() => activeCells(14, 15)).toThrow(/expected an integer from 3 to 14/);
  });

  const INPUT: InputSpec = { height: 8, width: 8, channels: 3, numClasses: 4 };
  const arch = new DartsSpace().sample(new CandidateSet(new DartsSpace().choicePoints), new Rng(3));

  it('runs only the active cells, a reduction cell whose first input does not fit reading its second twice', () => {
    const net = new DartsSupernet(new DartsSpace({ channels: 2, layers: 8 }).options, INPUT, new Rng(4));
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const full = net.forward(x, arch, 'eval');
    // 3 cells: 0 (normal), 2 and 5 (reductions); by hand with the cells' own apply
    net.depth.setActive(3);
    expect(activeCells(8, 3)).toEqual([0, 2, 5]);
    const byHand = tf.tidy(() => {
      const stem = net.stemBn.apply(net.stemConv.apply(x), 'eval');
      const c0 = net.cells[0].apply(stem, stem, arch.slice(0, 14), 'eval') as tf.Tensor4D;
      const r1 = net.cells[2].apply(c0, c0, arch.slice(14), 'eval') as tf.Tensor4D; // stem (6 channels) does not fit: c0 twice
      const r2 = net.cells[5].apply(r1, r1, arch.slice(14), 'eval') as tf.Tensor4D; // c0 (4x4 too large) does not fit: r1 twice
      return net.classifier.apply(tf.mean(r2, [1, 2]) as tf.Tensor2D);
    });
    const grown = net.forward(x, arch, 'eval');
    expect(tf.max(tf.abs(tf.sub(grown, byHand))).dataSync()[0]).toBeLessThan(1e-5);
    // only the active cells' parameters are used
    expect(net.paramsOf(arch).filter((n) => /^cells\.(1|3|4|6|7)\./.test(n))).toEqual([]);
    expect(net.paramsOf(arch).some((n) => n.startsWith('cells.5.'))).toBe(true);
    // full depth again: the network as built
    net.depth.setActive(8);
    expect(tf.max(tf.abs(tf.sub(net.forward(x, arch, 'eval'), full))).dataSync()[0]).toBe(0);
    tf.dispose([x, full, byHand, grown]);
    net.dispose();
  });

  it('runs every depth of the reference growth on 14 cells', () => {
    const net = new DartsSupernet(new DartsSpace({ channels: 2, layers: 14 }).options, INPUT, new Rng(4));
    const x = tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    for (let count = 3; count <= 14; count++) {
      net.depth.setActive(count);
      const y = net.forward(x, arch, 'train');
      expect(y.shape).toEqual([1, 4]);
      y.dispose();
    }
    x.dispose();
    net.dispose();
  });
});

describe('the shrinker warm-up', () => {
  const space = new DartsSpace();
  const data = loadSynthetic({ trainSize: 8, valSize: 8, testSize: 8, rng: new Rng(0) });

  /** A supernet whose only weight holds the epochs trained (so W0 tells when it was taken) and that records its depths. */
  class CountingSupernet implements Supernet {
    readonly store = new ParamStore(new Rng(0));
    readonly depths: number[] = [];
    readonly depth = { cells: 14, setActive: (n: number) => void this.depths.push(n) };
    constructor() {
      this.store.constant('epochs', [1], 0);
    }
    forward(): tf.Tensor2D {
      throw new Error('never run');
    }
    paramsOf(): string[] {
      return [];
    }
    resetBatchNormStats(): void {}
    dispose(): void {
      this.store.dispose();
    }
  }

  it('runs 11 stages of 5 epochs from 3 cells on 14, a fresh optimizer each, then the rounds; W0 after the warm-up', async () => {
    const supernet = new CountingSupernet();
    const calls: string[] = [];
    const trainer: ShrinkTrainer & { scheduleStart: number } = {
      epochsDone: 0,
      scheduleStart: 0,
      async train(epochs: number, horizon: number) {
        calls.push(`train ${epochs} of ${horizon} at depth ${supernet.depths[supernet.depths.length - 1]}`);
        (this as { epochsDone: number }).epochsDone += epochs;
        supernet.store.get('epochs').assign(tf.tensor1d([this.epochsDone]));
        return { stopped: false };
      },
      restartOptimizer() {
        calls.push(`restart at ${this.epochsDone}`);
        this.scheduleStart = this.epochsDone;
      },
    };
    let w0: number | undefined;
    const metric: Metric = {
      name: 'zero',
      prepare: async ({ base }) => {
        w0 = (base.get('epochs') as Float32Array)[0];
        return { score: () => 0 };
      },
    };
    const cfg: ShrinkConfig = {
      enabled: true,
      metric: { plugin: 'x', options: {} },
      threshold: 7 ** 28,
      policy: { kind: 'per-choice', count: 1, dropAbsent: true },
      epochsBeforeFirstRound: 150,
      epochsPerRound: 20,
      childrenPerOperator: 1,
      enumerateUpTo: 0,
      retakeBaseAfterDrops: 0,
      maxRounds: 50,
      train: {} as TrainConfig,
      warmup: { startCells: 3, epochsPerStage: 5 },
      horizonEpochs: 400,
    };
    const shrinker = new Shrinker({ config: cfg, space, metric, data, rng: new Rng(1) }, standaloneServices());
    const result = await shrinker.run(supernet, trainer, new CandidateSet(space.choicePoints));
    // the first stage starts on the trainer's own fresh optimizer
    const stages = Array.from({ length: 11 }, (_, k) => [...(k > 0 ? [`restart at ${5 * k}`] : []), `train 5 of 5 at depth ${3 + k}`]).flat();
    expect(calls).toEqual([...stages, 'restart at 55', 'train 150 of 400 at depth 14']);
    expect(supernet.depths).toEqual([...Array.from({ length: 11 }, (_, k) => 3 + k), 14]);
    expect(w0).toBe(55);
    expect(result.rounds).toHaveLength(1);
    expect(result.rounds[0].epochs).toBe(205);
    supernet.dispose();
  });

  it('a resumed run continues the stage it stopped in, its optimizer as restored', async () => {
    const calls: string[] = [];
    const supernet = new CountingSupernet();
    const resumed = (epochsDone: number, scheduleStart: number): ShrinkTrainer & { scheduleStart: number } => ({
      epochsDone,
      scheduleStart,
      async train(epochs: number, horizon: number) {
        calls.push(`train ${epochs} of ${horizon} at depth ${supernet.depths[supernet.depths.length - 1]}`);
        (this as { epochsDone: number }).epochsDone += epochs;
        return { stopped: false };
      },
      restartOptimizer() {
        calls.push(`restart at ${this.epochsDone}`);
        this.scheduleStart = this.epochsDone;
      },
    });
    const cfg = {
      threshold: 1e30,
      policy: { kind: 'per-choice', count: 1 },
      epochsBeforeFirstRound: 3,
      epochsPerRound: 1,
      maxRounds: 50,
      retakeBaseAfterDrops: 0,
      warmup: { startCells: 12, epochsPerStage: 5 },
      horizonEpochs: 0,
    } as ShrinkConfig;
    const run = (t: ShrinkTrainer) =>
      new Shrinker({ config: cfg, space, metric: { name: 'm', prepare: async () => ({ score: () => 0 }) }, data, rng: new Rng(1) }, standaloneServices()).run(
        supernet,
        t,
        new CandidateSet(space.choicePoints),
      );
    // stopped in epoch 3 of stage 1 (2 epochs done): no restart, the rest of the stage, then stage 2
    await run(resumed(2, 0));
    expect(calls).toEqual(['train 3 of 5 at depth 12', 'restart at 5', 'train 5 of 5 at depth 13', 'restart at 10', 'train 3 of 3 at depth 14']);
    calls.length = 0;
    // stopped right after stage 1 ended: stage 2 starts on a fresh optimizer
    await run(resumed(5, 0));
    expect(calls).toEqual(['restart at 5', 'train 5 of 5 at depth 13', 'restart at 10', 'train 3 of 3 at depth 14']);
    calls.length = 0;
    // stopped after the warm-up and the restart: the rounds' schedule goes on
    await run(resumed(11, 10));
    expect(calls).toEqual(['train 2 of 3 at depth 14']);
    supernet.dispose();
  });

  it('refuses a warm-up the supernet cannot grow, before training', async () => {
    const cfg = { warmup: { startCells: 14, epochsPerStage: 5 } } as ShrinkConfig;
    const shrinker = new Shrinker({ config: cfg, space, metric: { name: 'm', prepare: async () => ({ score: () => 0 }) }, data, rng: new Rng(1) }, standaloneServices());
    const trainer = { epochsDone: 0, train: async () => ({ stopped: false }), restartOptimizer: () => undefined };
    expect(() => shrinker.warmupPlan(new CountingSupernet(), trainer)).toThrow(/startCells 14: the supernet has 14 cells/);
    const flat = { ...new CountingSupernet(), depth: undefined } as unknown as Supernet;
    expect(() => shrinker.warmupPlan(flat, trainer)).toThrow(/has no supernet that grows cell by cell/);
  });

  it('the core trainer restarts momentum and the learning-rate schedule at every stage', async () => {
    const tiny = loadSynthetic({ trainSize: 16, valSize: 8, testSize: 8, rng: new Rng(2) });
    const dspace = new DartsSpace({ channels: 2, layers: 5 });
    const net = dspace.createSupernet(tiny.input, new Rng(3));
    const train: TrainConfig = {
      batchSize: 8,
      learningRate: 0.1,
      minLearningRate: 0.01,
      schedule: 'linear',
      momentum: 0.9,
      nesterov: false,
      weightDecay: 0,
      gradientClip: 5,
      gradientClipMode: 'value',
      stepsPerEpoch: 1,
      augment: false,
      labelSmoothing: 0,
    };
    const trainer = new SupernetTrainer(net, { data: tiny, train, rng: new Rng(4), phase: 'shrink' }, standaloneServices());
    const cfg: ShrinkConfig = {
      enabled: true,
      metric: { plugin: 'x', options: {} },
      threshold: 1e30, // the whole space: no round, only the training before the first
      policy: { kind: 'per-choice', count: 1 },
      epochsBeforeFirstRound: 2,
      epochsPerRound: 1,
      childrenPerOperator: 1,
      enumerateUpTo: 0,
      retakeBaseAfterDrops: 0,
      maxRounds: 1,
      train,
      warmup: { startCells: 3, epochsPerStage: 2 },
      horizonEpochs: 0,
    };
    const metric: Metric = { name: 'm', prepare: async () => ({ score: () => 0 }) };
    const shrinker = new Shrinker({ config: cfg, space: dspace, metric, data: tiny, rng: new Rng(1) }, standaloneServices());
    // stages on 3 and 4 of 5 cells (2 epochs each), then 2 epochs on all 5 before the (never reached) first round
    const result = await shrinker.run(net, trainer, new CandidateSet(dspace.choicePoints));
    expect(result.epochs).toBe(6);
    expect(trainer.scheduleStart).toBe(4);
    // linear 0.1 -> 0.01 over each stage's 2 epochs, restarted every stage and after the warm-up
    expect(trainer.epochHistory.map((s) => Number(s.learningRate.toFixed(6)))).toEqual([0.1, 0.055, 0.1, 0.055, 0.1, 0.055]);
    // a restart clears the momentum buffers
    const name = [...net.store.params.keys()][0];
    expect(trainer.sgd.velocityOf(name)).toBeDefined();
    trainer.restartOptimizer();
    expect(trainer.sgd.velocityOf(name)).toBeUndefined();
    trainer.dispose();
    net.dispose();
  });
});
