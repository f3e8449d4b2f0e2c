/**
 * The hook contract on a real run (a tiny NB201 supernet over synthetic
 * data): every control flag a series hook admits does what docs/api.md
 * says, and the payloads are the run's own types.
 */
import * as fs from 'fs';
import * as path from 'path';
import { assemble, Checkpointer, configHash, executeRun, RunDirectory, RunResult, SilentProgress } from '@absnas/core';
import { tempDir, tinyNb201Config } from '../../../test/e2e/helpers';

/** ABS in rounds of 5 dropped operators down to 100 children (several rounds), then SPOS. */
function config(): Record<string, unknown> {
  const c = tinyNb201Config({ images: 64, batchSize: 16, epochsBeforeFirstRound: 1 });
  return {
    ...c,
    name: 'hook-contract',
    backend: 'wasm',
    shrink: { ...c.shrink, policy: { kind: 'global', count: 5 }, enumerateUpTo: 0, childrenPerOperator: 2 },
  };
}

const readResult = (dir: string): RunResult => JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8'));

describe('the hook contract in a run', () => {
  const fullDir = tempDir('hooks-full');
  let threshold: number | undefined;
  let ended: RunResult | undefined;

  let hash = '';

  beforeAll(async () => {
    const full = assemble(config(), () => 'hook-contract.test');
    full.hooks.tap('onRunStart', 'reader', (info) => void (threshold = info.config.shrink.threshold));
    full.hooks.tap('onRunEnd', 'reader', (info) => void (ended = info.result));
    full.hooks.tap('onSearchEnd', 'saver', () => ({ saveCheckpoint: true }));
    hash = configHash(full.config);
    await executeRun(full, new RunDirectory(fullDir), new SilentProgress());
  });

  it('typed payloads: onRunStart gets the run config, onRunEnd the result as written', () => {
    expect(threshold).toBe(100);
    expect(ended).toEqual(readResult(fullDir));
  });

  it('onShrinkRound { stop } ends shrinking after that round; the search runs over what remains', async () => {
    expect(readResult(fullDir).shrink.rounds).toBeGreaterThan(1);
    const stopped = assemble(config(), () => 'hook-contract.test');
    stopped.hooks.tap('onShrinkRound', 'stop-after-one', (r) => (r.round === 1 ? { stop: true } : undefined));
    const dir = tempDir('hooks-stop');
    const outcome = await executeRun(stopped, new RunDirectory(dir), new SilentProgress());
    expect(outcome.result.shrink.rounds).toBe(1);
    // the same first round as the full run's, and nothing after it
    const fullRounds = JSON.parse(fs.readFileSync(path.join(fullDir, 'shrunk-space.json'), 'utf8')).rounds as { sizeAfter: number }[];
    expect(outcome.result.shrink.sizeAfter).toBe(fullRounds[0].sizeAfter);
    expect(outcome.result.shrink.sizeAfter).toBeGreaterThan(readResult(fullDir).shrink.sizeAfter);
  });

  it('saveCheckpoint at onSearchEnd saves one, and resuming from it ends in the same result', async () => {
    const latest = new Checkpointer(path.join(fullDir, 'checkpoints'), hash).latest();
    expect(latest?.reason).toBe('asked for by a handler of onSearchEnd');
    // the run directory's (events.jsonl's length, seconds worked) and the run's phase; the trainers have let go of theirs
    expect(Object.keys(latest!.parts)).toEqual(['runDir', 'run']);
    const first = fs.readFileSync(path.join(fullDir, 'result.json'), 'utf8');

    // the shrink phase is done in that checkpoint: the resumed run searches again, to the same child
    const again = assemble(config(), () => 'hook-contract.test');
    let shrinkEpochs = 0;
    again.hooks.tap('onEpochEnd', 'count', (e) => void (e.phase === 'shrink' && shrinkEpochs++));
    await executeRun(again, new RunDirectory(fullDir), new SilentProgress(), { resume: true });
    expect(shrinkEpochs).toBe(0);
    expect(fs.readFileSync(path.join(fullDir, 'result.json'), 'utf8')).toBe(first);
  });
});
