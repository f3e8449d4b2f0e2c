import { assemble, executeRun, RunDirectory, SilentProgress, tf } from '@absnas/core';
import * as fs from 'fs';
import * as path from 'path';
import * as os from 'os';

it('scratch', async () => {
  const raw = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../presets/quickstart.json'), 'utf8'));
  raw.data = { dataset: 'mnist', trainSize: 128, valSize: 32, testSize: 32 };
  raw.shrink.epochsBeforeFirstRound = 6;
  raw.shrink.train = { batchSize: 32, stepsPerEpoch: 2 };
  raw.search.options = { epochs: 0, evolution: { population: 2, iterations: 1, topK: 1, crossovers: 1, mutations: 1 }, recalibrationBatches: 1, evalBatchSize: 32 };
  const assembly = assemble(raw, () => 'memory.test');
  const snaps = new Map<number, Map<number, string>>();
  const eng = tf.engine() as any;
  assembly.hooks.tap('onEpochEnd', 'memory-probe', (e: any) => {
    if (e.phase !== 'shrink') return;
    const m = new Map<number, string>();
    // walk the registered tensors through the engine's scope tracking
    const all: any[] = [];
    const seen = new Set();
    const visit = (t: any) => { if (t && !seen.has(t.id)) { seen.add(t.id); all.push(t); } };
    (eng.state.activeScope?.track ?? []).forEach(visit);
    Object.values(eng.state.registeredVariables).forEach(visit);
    m.set(-1, `numTensors ${tf.memory().numTensors} tracked ${all.length}`);
    snaps.set(e.epoch, m);
    console.log(e.epoch, tf.memory().numTensors, Object.keys(eng.state.registeredVariables).length, eng.state.numDataBuffers);
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scratch'));
  await executeRun(assembly, new RunDirectory(dir), new SilentProgress());
  fs.rmSync(dir, { recursive: true, force: true });
});
