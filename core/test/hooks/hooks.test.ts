import type { Checkpointable, CheckpointSink } from '../../src/checkpoint/checkpointer';
import { HookBus, HookError, HookHandler, OperatorScore, RunResult } from '../../src/hooks/hooks';
import { CandidateSet } from '../../src/space/candidates';

const points = [{ id: 'a', candidates: ['x', 'y'] }];
const ctx = { round: 1, candidates: new CandidateSet(points) };
const result: RunResult = {
  name: 'r',
  seed: 0,
  space: 's',
  searcher: 'x',
  metric: null,
  architecture: 'a',
  metrics: {},
  cost: { params: 0, flops: 0 },
  shrink: { enabled: false, sizeBefore: 2, sizeAfter: 2, rounds: 0, candidates: { a: ['x', 'y'] } },
};

/** A checkpoint sink that records why it was asked to save. */
function recordingSink(): CheckpointSink & { saves: string[] } {
  const parts = new Map<string, Checkpointable>();
  return {
    saves: [],
    lastSaved: undefined,
    register: (key, part) => {
      parts.set(key, part);
      return false;
    },
    unregister: (key) => void parts.delete(key),
    pendingState: () => undefined,
    async save(reason) {
      this.saves.push(reason);
    },
  };
}

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
    const p = bus.series('onRunEnd', { runDir: '/tmp/x', result });
    await expect(p).rejects.toThrow(HookError);
    await expect(p).rejects.toThrow("plugin 'my-plugin' failed in hook onRunEnd: disk full");
  });

  it('rejects a waterfall handler that returns nothing, and unknown hooks', async () => {
    const bus = new HookBus();
    bus.tap('onDropList', 'broken', (() => undefined) as unknown as () => Promise<never>);
    await expect(bus.waterfall('onDropList', [], ctx)).rejects.toThrow(/broken.*must return a value/);
    expect(() => bus.tap('onNothing' as never, 'p', () => undefined as never)).toThrow(/unknown hook 'onNothing'/);
  });

  it('saves the checkpoint a handler asks for where the caller does not save anyway', async () => {
    const bus = new HookBus();
    const sink = recordingSink();
    bus.saveCheckpointsIn(sink);
    for (const hook of ['onRunStart', 'onSearchEnd', 'onEpochEnd'] as const) {
      bus.tap(hook, 'saver', () => ({ saveCheckpoint: true }));
    }
    await bus.series('onRunStart', { runDir: '/tmp/x', config: {} as never, backend: 'cpu', seed: 0 });
    await bus.series('onSearchEnd', { architecture: ['x'], text: 'x', metrics: {} });
    const epoch = await bus.series('onEpochEnd', { phase: 'search', epoch: 1, epochs: 1, loss: 1, trainAccuracy: 0, learningRate: 0.1, seconds: 0 });
    // after an epoch (and a shrink round) the trainer saves one anyway: the bus only passes the flag on
    expect(epoch).toEqual({ saveCheckpoint: true });
    expect(sink.saves).toEqual(['asked for by a handler of onRunStart', 'asked for by a handler of onSearchEnd']);
    // without a run's checkpoints (a component used on its own), nothing is saved and nothing fails
    const alone = new HookBus();
    alone.tap('onSearchEnd', 'saver', () => ({ saveCheckpoint: true }));
    await expect(alone.series('onSearchEnd', { architecture: ['x'], text: 'x', metrics: {} })).resolves.toEqual({ saveCheckpoint: true });
  });

  it('refuses a flag the hook does not honour, naming the plugin and what the hook honours', async () => {
    // as a plugin written in JavaScript would return it: the handler types admit only honoured flags
    const stopAtStart: HookHandler<'onRunStart'> = (() => ({ stop: true })) as never;
    const saveAtEnd: HookHandler<'onRunEnd'> = (() => ({ saveCheckpoint: true })) as never;
    const bus = new HookBus();
    bus.tap('onRunStart', 'eager', stopAtStart);
    bus.tap('onRunEnd', 'late', saveAtEnd);
    await expect(bus.series('onRunStart', { runDir: '/tmp/x', config: {} as never, backend: 'cpu', seed: 0 })).rejects.toThrow(
      "plugin 'eager' failed in hook onRunStart: returned { stop: true }, but onRunStart honours only saveCheckpoint",
    );
    await expect(bus.series('onRunEnd', { runDir: '/tmp/x', result })).rejects.toThrow(
      "plugin 'late' failed in hook onRunEnd: returned { saveCheckpoint: true }, but onRunEnd honours no control flags",
    );
  });
});
