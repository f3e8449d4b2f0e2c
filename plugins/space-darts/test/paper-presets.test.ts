import { CandidateSet, Rng, Shrinker, assemble, loadPreset, standaloneServices } from '@absnas/core';

/**
 * The paper's DARTS-space ABS presets carry the reference's protocol
 * (megvii-model/AngleNAS, DARTS/shrinking); each one's description lists
 * what still differs. Checked on the assembled config, defaults applied.
 */
function assembled(name: string) {
  const { raw, origin } = loadPreset(name);
  return assemble(raw, origin);
}

const FULL = ['paper/cifar10-darts-abs', 'paper/cifar10-pdarts-abs', 'paper/imagenet-darts-abs'];
const MINI = ['paper/cifar10-darts-abs-mini', 'paper/cifar10-pdarts-abs-mini'];

describe("the paper's DARTS-space ABS presets", () => {
  it.each([...FULL, ...MINI])('%s shrinks by the reference rules: none droppable, one drop per edge, 6 rounds to 2 operators per edge', (name) => {
    const { config, shrinkSpace } = assembled(name);
    const shrink = config.shrink;
    expect(shrink.enabled).toBe(true);
    expect(shrink.policy).toEqual({ kind: 'per-choice', count: 1, dropAbsent: true });
    expect(shrink.threshold).toBe(1e12);
    expect(shrink.shareChildren).toBe(true);
    expect(shrink.enumerateUpTo).toBe(0);
    expect(shrink.train).toMatchObject({ gradientClip: 5, gradientClipMode: 'value', labelSmoothing: 0.1, schedule: 'linear', weightDecay: 4e-5, weightDecayScope: 'weights', nesterov: false, momentum: 0.9 });
    expect((shrinkSpace as unknown as { options: Record<string, unknown> }).options).toMatchObject({ init: 'kaiming', affine: true, sampling: 'check-cand' });
    expect(shrink.warmup?.startCells).toBe(3);
    // the rounds this policy and threshold take on the full DARTS space, and what is left
    const shrinker = new Shrinker({ config: shrink, space: shrinkSpace, metric: { name: 'm', prepare: async () => ({ score: () => 0 }) }, data: undefined as never, rng: new Rng(0) }, standaloneServices());
    expect(shrinker.estimateRounds(new CandidateSet(shrinkSpace.choicePoints))).toBe(6);
  });

  it.each(FULL)('%s trains the reference supernet on the reference schedule', (name) => {
    const { config, shrinkSpace } = assembled(name);
    expect((shrinkSpace as unknown as { options: Record<string, unknown> }).options).toMatchObject({ channels: 48, layers: 14 });
    expect(config.shrink).toMatchObject({
      warmup: { startCells: 3, epochsPerStage: 5 },
      epochsBeforeFirstRound: 150,
      epochsPerRound: 20,
      horizonEpochs: 400,
      childrenPerOperator: 1000,
      baseWeights: { takeAfterEpochs: 0 },
    });
    expect(config.shrink.train).toMatchObject({ batchSize: 512, learningRate: 0.2, minLearningRate: 0.0005, stepsPerEpoch: 0 });
  });

  it('hands over to second-order DARTS and to the single PDARTS stage after ABS', () => {
    expect(assembled('paper/cifar10-darts-abs').config.search.options).toMatchObject({ order: 2, epochs: 50 });
    expect(assembled('paper/cifar10-pdarts-abs').config.search.options.stages).toEqual([
      { epochs: 25, warmupEpochs: 10, space: { layers: 17 }, keep: 1, skipDropout: 0.7 },
    ]);
    expect(assembled('paper/cifar10-pdarts-abs-mini').config.search.options.stages).toHaveLength(1);
  });

  it('imagenet-darts-abs streams the image folder at 28 px', () => {
    expect(assembled('paper/imagenet-darts-abs').config.data).toMatchObject({ dataset: 'image-folder', imageSize: 28, valSize: 50000, imageFolder: { mode: 'stream' } });
  });
});
