import * as tf from '@tensorflow/tfjs';
import { selectBackend, BackendInfo } from '../backend';
import { loadData } from '../data/load';
import { Shrinker, ShrinkResult } from '../shrink/shrinker';
import { CandidateSet } from '../space/candidates';
import { SupernetTrainer } from '../train/trainer';
import type { Progress } from '../util/progress';
import { Rng } from '../util/rng';
import type { Assembly } from './assemble';
import { renderReport } from './report';
import type { RunDirectory } from './run-dir';

/** What result.json holds: a pure function of the config and seed (no times, no paths). */
export interface RunResult {
  name: string;
  seed: number;
  space: string;
  searcher: string;
  metric: string | null;
  architecture: string;
  metrics: Record<string, number>;
  cost: { params: number; flops: number };
  shrink: {
    enabled: boolean;
    sizeBefore: number;
    sizeAfter: number;
    rounds: number;
    candidates: Record<string, string[]>;
  };
}

export interface RunOutcome {
  result: RunResult;
  backend: BackendInfo;
  shrink?: ShrinkResult;
  seconds: { total: number; shrink: number; search: number };
}

/**
 * One run: backend, data, [ABS shrinking], search over the (shrunk) space,
 * and the run directory's artifacts. Every phase reports through hooks.
 */
export async function executeRun(assembly: Assembly, runDir: RunDirectory, progress: Progress): Promise<RunOutcome> {
  const { config, hooks, space, metric, searcher } = assembly;
  const began = Date.now();
  const backend = await selectBackend(config.backend, (m) => progress.log(m));
  runDir.writeJson('config.json', config);
  runDir.emit({ event: 'runStart', name: config.name, seed: config.seed, backend: backend.name });
  await hooks.series('onRunStart', { runDir: runDir.dir, config: config as unknown as Record<string, unknown>, backend: backend.name, seed: config.seed });

  const rng = new Rng(config.seed);
  const data = loadData(config.data, config.seed);
  progress.log(`data: ${data.name} train ${data.train.count}, val ${data.val.count}, test ${data.test.count}`);
  const full = new CandidateSet(space.choicePoints);
  let candidates = full;

  let shrink: ShrinkResult | undefined;
  const shrinkBegan = Date.now();
  if (config.shrink.enabled && metric) {
    const supernet = space.createSupernet(data.input, rng.fork('shrink-supernet'));
    await hooks.series('onSupernetBuilt', { phase: 'shrink', space, supernet, candidates });
    const trainer = new SupernetTrainer(supernet, data, config.shrink.train, rng.fork('shrink-train'), hooks, progress, 'shrink');
    const shrinker = new Shrinker(config.shrink, {
      space,
      metric,
      hooks,
      progress,
      data,
      rng: rng.fork('shrink-score'),
      emit: (e) => runDir.emit(e),
    });
    shrink = await shrinker.run(supernet, trainer, full);
    candidates = shrink.candidates;
    trainer.dispose();
    supernet.dispose();
    runDir.writeJson('shrunk-space.json', {
      format: 'absnas.shrunk-space',
      version: 1,
      space: space.name,
      metric: metric.name,
      sizeBefore: full.size(),
      sizeAfter: candidates.size(),
      candidates: candidates.toJSON(),
      rounds: shrink.rounds,
    });
  }
  const shrinkSeconds = (Date.now() - shrinkBegan) / 1000;

  const searchBegan = Date.now();
  const found = await searcher.search({
    space,
    candidates,
    data,
    rng: rng.fork('search'),
    hooks,
    progress,
    emit: (e) => runDir.emit(e),
  });
  const text = space.format(found.architecture);
  await hooks.series('onSearchEnd', { architecture: found.architecture, text, metrics: found.metrics });
  const searchSeconds = (Date.now() - searchBegan) / 1000;

  const result: RunResult = {
    name: config.name,
    seed: config.seed,
    space: space.name,
    searcher: searcher.name,
    metric: shrink ? (metric?.name ?? null) : null,
    architecture: text,
    metrics: found.metrics,
    cost: found.cost,
    shrink: {
      enabled: Boolean(shrink),
      sizeBefore: full.size(),
      sizeAfter: candidates.size(),
      rounds: shrink?.rounds.length ?? 0,
      candidates: candidates.toJSON(),
    },
  };
  runDir.writeJson('result.json', result);
  runDir.writeJson('search-history.json', found.history);
  const seconds = { total: (Date.now() - began) / 1000, shrink: shrinkSeconds, search: searchSeconds };
  const outcome: RunOutcome = { result, backend, shrink, seconds };
  runDir.writeText('report.md', renderReport(outcome, space));
  runDir.emit({ event: 'runEnd', architecture: text, metrics: found.metrics, seconds, tensors: tf.memory().numTensors });
  await hooks.series('onRunEnd', { runDir: runDir.dir, result: result as unknown as Record<string, unknown> });
  return outcome;
}
