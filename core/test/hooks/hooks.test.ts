import { HookBus, HookError, OperatorScore } from '../../src/hooks/hooks';
import { CandidateSet } from '../../src/space/candidates';

const points = [{ id: 'a', candidates: ['x', 'y'] }];
const ctx = { round: 1, candidates: new CandidateSet(points) };

describe('HookBus', () => {
  it('runs series handlers in order (pre, normal, post) and merges control flags', async () => {
    const bus = new HookBus();
    const calls: string[] = [];
    bus.tap('onEpochEnd', 'b', () => void calls.push('b'));
    bus.tap('onEpochEnd', 'late', () => { calls.push('late'); return { saveCheckpoint: true }; }, 'post');
    bus.tap('onEpochEnd', 'early', () => { calls.push('early'); return { stop: true }; }, 'pre');
    const info = { phase: 'shrink' as const, epoch: 1, epochs: 2, loss: 1, trainAccuracy: 0.5, learningRate: 0.1, seconds: 1 };
    const control = await bus.series('onEpochEnd', info);
    expect(calls).toEqual(['early', 'b', 'late']);
    expect(control).toEqual({ stop: true, saveCheckpoint: true });
    expect(bus.tapped('onEpochEnd')).toEqual(['early', 'b', 'late']);
  });

  it('threads a waterfall value through each handler', async () => {
    const bus = new HookBus();
    bus.tap('onOperatorScores', 'double', (s) => s.map((x) => ({ ...x, score: x.score * 2 })));
    bus.tap('onOperatorScores', 'plus1', async (s) => s.map((x) => ({ ...x, score: x.score + 1 })));
    const scores: OperatorScore[] = [{ point: 0, op: 'x', score: 3, children: 1 }];
    const out = await bus.waterfall('onOperatorScores', scores, ctx);
    expect(out[0].score).toBe(7);
    expect(scores[0].score).toBe(3);
  });

  it('stops a bail hook at the first defined answer', async () => {
    const bus = new HookBus();
    const seen: string[] = [];
    bus.tap('shouldStopShrinking', 'quiet', () => { seen.push('quiet'); return undefined; });
    bus.tap('shouldStopShrinking', 'veto', () => { seen.push('veto'); return true; });
    bus.tap('shouldStopShrinking', 'never', () => { seen.push('never'); return false; });
    expect(await bus.bail('shouldStopShrinking', ctx)).toBe(true);
    expect(seen).toEqual(['quiet', 'veto']);
    expect(await new HookBus().bail('shouldStopShrinking', ctx)).toBeUndefined();
  });

  it('re-throws handler errors tagged with plugin and hook', async () => {
    const bus = new HookBus();
    bus.tap('onRunEnd', 'my-plugin', () => { throw new Error('disk full'); });
    const p = bus.series('onRunEnd', { runDir: '/tmp/x', result: {} });
    await expect(p).rejects.toThrow(HookError);
    await expect(p).rejects.toThrow("plugin 'my-plugin' failed in hook onRunEnd: disk full");
  });

  it('rejects a waterfall handler that returns nothing, and unknown hooks', async () => {
    const bus = new HookBus();
    bus.tap('onDropList', 'broken', (() => undefined) as unknown as () => Promise<never>);
    await expect(bus.waterfall('onDropList', [], ctx)).rejects.toThrow(/broken.*must return a value/);
    expect(() => bus.tap('onNothing' as never, 'p', () => undefined as never)).toThrow(/unknown hook 'onNothing'/);
  });
});
