/**
 * shrink.baseWeights: W0, the angle's base point, taken after a warm-up of
 * N epochs instead of as built; it is checkpointed, so a run interrupted
 * before, at or after that epoch resumes to the uninterrupted result. Runs
 * in process on a tiny NB201 supernet over synthetic data.
 */
import * as fs from 'fs';
import * as path from 'path';
import { assemble, executeRun, Interruption, RunDirectory, RunInterrupted, SilentProgress, Supernet, WeightSnapshot } from '@absnas/core';
import { tempDir, tinyNb201Config } from '../../../test/e2e/helpers';

const WARMUP = 2;

function config(takeAfterEpochs: number): Record<string, unknown> {
  const c = tinyNb201Config({ images: 64, batchSize: 16, epochsBeforeFirstRound: 3 });
  return { ...c, name: 'base-weights', backend: 'wasm', shrink: { ...c.shrink, baseWeights: { takeAfterEpochs } } };
}

interface Probe {
  /** W0 as the metric received it, per scoring round. */
  bases: WeightSnapshot[];
  /** The shrinking supernet's weights as built and after each epoch. */
  weights: Map<number, WeightSnapshot>;
}

/** One run (or resumption) with probes on W0 and on the weights; `interruptAfterEpoch` stops it in the next epoch. */
async function run(dir: string, takeAfterEpochs: number, opts: { resume?: boolean; interruptAfterEpoch?: number } = {}): Promise<Probe> {
  const assembly = assemble(config(takeAfterEpochs), () => 'base-weights.test');
  const probe: Probe = { bases: [], weights: new Map() };
  const metric = assembly.metric!;
  const prepare = metric.prepare.bind(metric);
  metric.prepare = (ctx) => {
    probe.bases.push(new Map(ctx.base));
    return prepare(ctx);
  };
  let supernet: Supernet | undefined;
  assembly.hooks.tap('onSupernetBuilt', 'probe', (e) => {
    if (e.phase !== 'shrink') return;
    supernet = e.supernet;
    probe.weights.set(0, supernet.store.snapshot());
  });
  const interruption = new Interruption();
  assembly.hooks.tap('onEpochEnd', 'probe', (e) => {
    if (e.phase !== 'shrink') return;
    probe.weights.set(e.epoch, supernet!.store.snapshot());
    if (e.epoch === opts.interruptAfterEpoch) interruption.request('test');
  });
  await executeRun(assembly, new RunDirectory(dir), new SilentProgress(), { resume: opts.resume, interruption });
  return probe;
}

const same = (a: WeightSnapshot, b: WeightSnapshot): boolean =>
  a.size === b.size && [...a].every(([k, v]) => Buffer.compare(Buffer.from(v.buffer, v.byteOffset, v.byteLength), Buffer.from(b.get(k)!.buffer, b.get(k)!.byteOffset, b.get(k)!.byteLength)) === 0);

const outputs = (dir: string): string[] => ['result.json', 'shrunk-space.json'].map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));

describe('shrink.baseWeights', () => {
  const dirs: string[] = [];
  const dir = (name: string): string => {
    const d = tempDir(`base-weights-${name}`);
    dirs.push(d);
    return d;
  };
  let reference: { probe: Probe; outputs: string[] };

  beforeAll(async () => {
    const d = dir('reference');
    reference = { probe: await run(d, WARMUP), outputs: outputs(d) };
  });

  it(`W0 is the weights after epoch ${WARMUP}, not the initial ones (nor those at the scoring epoch)`, () => {
    const { bases, weights } = reference.probe;
    expect(bases).toHaveLength(1);
    expect(same(bases[0], weights.get(WARMUP)!)).toBe(true);
    expect(same(bases[0], weights.get(0)!)).toBe(false);
    expect(same(bases[0], weights.get(3)!)).toBe(false);
  });

  it('takeAfterEpochs 0 keeps W0 as built', async () => {
    const { bases, weights } = await run(dir('as-built'), 0);
    expect(same(bases[0], weights.get(0)!)).toBe(true);
  });

  it.each([1, WARMUP])('a run interrupted after epoch %i resumes to the uninterrupted result and W0', async (epoch) => {
    const d = dir(`interrupted-${epoch}`);
    await expect(run(d, WARMUP, { interruptAfterEpoch: epoch })).rejects.toThrow(RunInterrupted);
    const resumed = await run(d, WARMUP, { resume: true });
    expect(resumed.bases).toHaveLength(1);
    expect(same(resumed.bases[0], reference.probe.bases[0])).toBe(true);
    expect(outputs(d)).toEqual(reference.outputs);
  });

  it(`resuming from the checkpoint of epoch ${WARMUP}, written before W0 was taken, takes it from the restored weights`, async () => {
    const d = dir('epoch-checkpoint');
    await expect(run(d, WARMUP, { interruptAfterEpoch: WARMUP })).rejects.toThrow(RunInterrupted);
    // drop the interruption's checkpoint: the newest left is the one saved at the end of the warm-up
    const ckdir = path.join(d, 'checkpoints');
    const files = fs.readdirSync(ckdir).sort();
    fs.rmSync(path.join(ckdir, files[files.length - 1]));
    const header = fs.readFileSync(path.join(ckdir, files[files.length - 2])).toString('latin1');
    expect(header).toContain(`"reason":"shrink epoch ${WARMUP}"`);
    expect(header).toContain('"baseEpoch":0');
    const resumed = await run(d, WARMUP, { resume: true });
    expect(same(resumed.bases[0], reference.probe.bases[0])).toBe(true);
    expect(outputs(d)).toEqual(reference.outputs);
  });

  it('refuses a warm-up that ends after the first round is scored', () => {
    expect(() => assemble(config(4), () => 'x.json')).toThrow(
      /x\.json: \/shrink\/baseWeights\/takeAfterEpochs: 4 is after the first round is scored \(epochsBeforeFirstRound 3\)/,
    );
  });

  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
});
