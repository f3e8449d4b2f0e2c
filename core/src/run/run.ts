import * as tf from '@tensorflow/tfjs';
import type { BackendInfo } from '../backend';
import type { Checkpointer, CheckpointSink } from '../checkpoint/checkpointer';
import type { Interruption } from '../checkpoint/interrupt';
import type { DataSplits } from '../data/dataset';
import { loadData } from '../data/load';
import type { RunResult } from '../hooks/hooks';
import { writeRunReport } from '../report/html';
import type { SearchResult } from '../search/searcher';
import type { RunServices } from '../services/run-services';
import { Shrinker, ShrinkResult } from '../shrink/shrinker';
import { CandidateSet } from '../space/candidates';
import { SupernetTrainer } from '../train/trainer';
import type { Progress } from '../util/progress';
import { Rng } from '../util/rng';
import type { Assembly } from './assemble';
import { withOpenRun, type RunClaim } from './open-run';
import { renderReport } from './report';
import type { RunDirectory } from './run-dir';
import { readShrunkSpace, writeShrunkSpace } from './shrunk-space';

export type { RunResult } from '../hooks/hooks';

export interface RunOptions {
  /** Continue from the newest valid checkpoint in the run directory. */
  resume?: boolean;
  /** Set by signal handlers; long loops save a checkpoint and stop at their next safe point. */
  interruption?: Interruption;
  /** The run's data, loaded (and checked) before its directory was created; loaded here when absent. */
  data?: DataSplits;
  /** A queue job's claim on the run directory (see RunClaim). */
  claim?: RunClaim;
}

export interface RunOutcome {
  result: RunResult;
  backend: BackendInfo;
  shrink?: ShrinkResult;
  seconds: { total: number; shrink: number; search: number };
}

/** What the run itself keeps in checkpoints: which phase it is in and the shrink outcome. */
interface RunPhaseState {
  phase: 'shrink' | 'search';
  shrink?: { candidates: string[][]; rounds: ShrinkResult['rounds']; epochs: number; seconds?: number };
}

/** What every phase of one run works with. */
interface RunContext {
  assembly: Assembly;
  runDir: RunDirectory;
  services: RunServices & { checkpoints: Checkpointer };
  data: DataSplits;
  /** The original space. */
  full: CandidateSet;
  /** Seconds the run has worked, over every segment. */
  elapsed(): number;
}

/**
 * One run: backend, data, [ABS shrinking], search over the (shrunk) space,
 * and the run directory's artifacts. Every phase reports through hooks.
 */
export async function executeRun(assembly: Assembly, runDir: RunDirectory, progress: Progress, options: RunOptions = {}): Promise<RunOutcome> {
  const { config, hooks } = assembly;
  const open = { kind: 'run' as const, config, resume: options.resume, progress, interruption: options.interruption, claim: options.claim };
  return withOpenRun(runDir, open, async (run) => {
    const services = run.services(hooks);
    const phase = trackPhase(run.checkpoints);
    hooks.tap('onEpochEnd', 'absnas', (e) => void runDir.emit({ event: 'epoch', ...e }), 'post');
    await hooks.series('onRunStart', { runDir: runDir.dir, config, backend: run.backend.name, seed: config.seed });

    const rng = new Rng(config.seed);
    const data = options.data ?? loadData(config.data, config.seed);
    progress.log(`data: ${data.name} train ${data.train.count}, val ${data.val.count}, test ${data.test.count}`);
    const ctx: RunContext = { assembly, runDir, services, data, full: new CandidateSet(assembly.space.choicePoints), elapsed: run.elapsed };

    // forks are taken in a fixed order, so a resumed run derives the same generators
    const shrinkRngs = { supernet: rng.fork('shrink-supernet'), train: rng.fork('shrink-train'), score: rng.fork('shrink-score') };
    const { shrink, candidates } = await shrinkPhase(ctx, phase, shrinkRngs);
    const shrinkSeconds = phase.shrink?.seconds ?? run.elapsed();
    const found = await searchPhase(ctx, candidates, rng.fork('search'));
    return writeArtifacts(ctx, { candidates, shrink, found }, run.backend, shrinkSeconds);
  });
}

/** The run's own checkpoint part: a resumed run skips a shrink phase that was done before. */
function trackPhase(checkpoints: CheckpointSink): RunPhaseState {
  const phase: RunPhaseState = { phase: 'shrink' };
  checkpoints.register('run', {
    capture: () => ({ state: phase }),
    restore: (saved) => Object.assign(phase, saved as RunPhaseState),
  });
  return phase;
}

/**
 * ABS, when enabled and not done before the interruption: train the
 * supernet and shrink the space round by round, then write
 * shrunk-space.json. Returns the space to search: the shrunk one, the one
 * of `shrunkSpace` given in the config, or the original.
 */
async function shrinkPhase(
  ctx: RunContext,
  phase: RunPhaseState,
  rngs: { supernet: Rng; train: Rng; score: Rng },
): Promise<{ shrink?: ShrinkResult; candidates: CandidateSet }> {
  const { config, hooks, space, shrinkSpace, metric } = ctx.assembly;
  const { services, data, full } = ctx;
  let candidates = config.shrunkSpace ? readShrunkSpace(config.shrunkSpace, space) : full;
  let shrink: ShrinkResult | undefined;
  if (config.shrink.enabled && metric && phase.phase === 'shrink') {
    const supernet = shrinkSpace.createSupernet(data.input, rngs.supernet);
    await hooks.series('onSupernetBuilt', { phase: 'shrink', space: shrinkSpace, supernet, candidates });
    const trainer = new SupernetTrainer(supernet, { data, train: config.shrink.train, rng: rngs.train, phase: 'shrink' }, services);
    const shrinker = new Shrinker({ config: config.shrink, space: shrinkSpace, metric, data, rng: rngs.score }, services);
    try {
      shrink = await shrinker.run(supernet, trainer, full);
    } finally {
      trainer.dispose();
      supernet.dispose();
    }
    candidates = shrink.candidates;
    phase.phase = 'search';
    phase.shrink = { candidates: candidates.lists.map((l) => [...l]), rounds: shrink.rounds, epochs: shrink.epochs, seconds: ctx.elapsed() };
    writeShrunkSpace(ctx.runDir.file('shrunk-space.json'), space, metric.name, full, candidates, shrink.rounds);
    await services.checkpoints.save('shrinking done');
  } else if (phase.shrink) {
    shrink = { candidates: new CandidateSet(space.choicePoints, phase.shrink.candidates), rounds: phase.shrink.rounds, epochs: phase.shrink.epochs };
    candidates = shrink.candidates;
    services.progress.log(`ABS: done before the interruption (${full.size()} -> ${candidates.size()} children)`);
  }
  phase.phase = 'search';
  return { shrink, candidates };
}

/** The searcher over `candidates`, then onSearchEnd. */
async function searchPhase(ctx: RunContext, candidates: CandidateSet, rng: Rng): Promise<SearchResult & { text: string }> {
  const { hooks, space, searcher } = ctx.assembly;
  const found = await searcher.search({ ...ctx.services, space, candidates, data: ctx.data, rng });
  const text = space.format(found.architecture);
  await hooks.series('onSearchEnd', { architecture: found.architecture, text, metrics: found.metrics });
  return { ...found, text };
}

/** result.json, search-history.json, report.md and report.html, the runEnd event, then onRunEnd. */
async function writeArtifacts(
  ctx: RunContext,
  done: { candidates: CandidateSet; shrink?: ShrinkResult; found: SearchResult & { text: string } },
  backend: BackendInfo,
  shrinkSeconds: number,
): Promise<RunOutcome> {
  const { config, hooks, space, metric, searcher } = ctx.assembly;
  const { runDir, full } = ctx;
  const { candidates, shrink, found } = done;
  const result: RunResult = {
    name: config.name,
    seed: config.seed,
    space: space.name,
    searcher: searcher.name,
    metric: shrink ? (metric?.name ?? null) : null,
    architecture: found.text,
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
  // wall time over every segment of a resumed run; shrinking counts from the start (setup included)
  const total = ctx.elapsed();
  const seconds = { total, shrink: shrinkSeconds, search: total - shrinkSeconds };
  const outcome: RunOutcome = { result, backend, shrink, seconds };
  runDir.writeText('report.md', renderReport(outcome, space));
  await writeRunReport(runDir.dir, space);
  runDir.emit({ event: 'runEnd', architecture: found.text, metrics: found.metrics, seconds, tensors: tf.memory().numTensors });
  await hooks.series('onRunEnd', { runDir: runDir.dir, result });
  return outcome;
}
