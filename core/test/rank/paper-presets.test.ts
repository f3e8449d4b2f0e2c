import * as fs from 'fs';
import * as path from 'path';
import { loadPreset } from '../../src/config/load';
import { assembleRank } from '../../src/rank/assemble';

/**
 * The paper's NB201 presets carry the reference's official protocol
 * (ABS-METHOD.md, "Reference hyperparameters"); each one's description lists
 * what still differs. Checked on the assembled config, defaults applied.
 */
function assembled(name: string) {
  const { raw, origin } = loadPreset(name);
  return assembleRank(raw, origin);
}

describe("the paper's NB201 ranking presets", () => {
  it.each(['paper/nb201-ranking', 'paper/nb201-ranking-mini', 'paper/nb201-opdrop'])('%s trains and scores as the reference does', (name) => {
    const { config, space, metrics } = assembled(name);
    expect((space as unknown as { options: { sampling: string; channels: number } }).options).toMatchObject({ sampling: 'per-cell', channels: 16 });
    expect(config.shrink.train).toMatchObject({
      gradientClip: 0,
      offPathUpdates: true,
      weightDecayScope: 'all',
      weightDecay: 0.0005,
      momentum: 0.9,
      nesterov: true,
      batchSize: 64,
      learningRate: 0.025,
    });
    // the reference's all-cut convention is the one labelled 'angle'; absnas's is reported beside it
    const angle = metrics.find((m) => m.label === 'angle');
    expect(angle?.ref.options).toEqual({ allCut: 'fixed-parts' });
    expect(metrics.find((m) => m.label === 'angle-cut-zero')?.ref.options).toEqual({ allCut: 'zero' });
    // the preset says what still differs from the reference
    expect((config as unknown as { description?: string }).description).toMatch(/[Dd]ifferences/);
  });

  it('ranking: W0 after the first epoch, as the released pipeline; opdrop: W0 as built, 100 epochs of a 250-epoch cosine', () => {
    expect(assembled('paper/nb201-ranking').config.rank.baseWeights).toEqual({ takeAfterEpochs: 1 });
    expect(assembled('paper/nb201-ranking-mini').config.rank.baseWeights).toEqual({ takeAfterEpochs: 1 });
    const drop = assembled('paper/nb201-opdrop').config;
    expect(drop.rank.baseWeights).toEqual({ takeAfterEpochs: 0 });
    expect(drop.rank.epochs).toEqual([100]);
    expect(drop.rank.horizonEpochs).toBe(250);
    expect(drop.shrink.train.schedule).toBe('cosine');
  });

  it('every rank preset of presets/paper assembles (a change to a base preset must not break the presets built on it)', () => {
    const dir = path.join(__dirname, '../../../presets/paper');
    const rankPresets = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.json') && JSON.stringify(loadPreset(`paper/${f.slice(0, -5)}`).raw).includes('"rank"'))
      .map((f) => `paper/${f.slice(0, -5)}`);
    expect(rankPresets).toEqual(expect.arrayContaining(['paper/nb201-ranking-mini', 'paper/nb201-proxies-mini', 'paper/nb201-opdrop']));
    for (const name of rankPresets) expect(() => assembled(name)).not.toThrow();
  });
});
