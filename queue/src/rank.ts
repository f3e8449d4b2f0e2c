/**
 * `absnas rank --queue`: one job per seed (a seed's supernets and scores
 * depend on that seed alone), each written to <out>/seeds/seed<k>/ on
 * shared storage, then the same ranking files as the local run from them.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  assembleRank,
  Interruption,
  mergeRankResults,
  readPreset,
  RunDirectory,
  RunInterrupted,
  runRank,
  writeRanking,
  type OriginFn,
  type Progress,
  type QueueRankRequest,
  type RankResult,
} from '@absnas/core';
import { checkKernels } from './run-job';
import { checkJob, jobId, type RankJobData } from './jobs';
import { pinnedKernels, runMatrix, type Unit } from './coordinator';

/**
 * A worker's part: one seed's ranking into data.dir (ranking.json last, so
 * its presence means done). A ranking keeps no checkpoints: a stop request
 * ends it at the next scored child or training step (RunInterrupted, and
 * the job goes back to waiting), and the seed starts again from its
 * beginning.
 */
export async function runRankSeed(data: RankJobData, origin: OriginFn, progress: Progress, interruption: Interruption): Promise<Record<string, unknown>> {
  const assembly = assembleRank(data.config, origin);
  await checkKernels(assembly.config.backend, data.kernels);
  const runDir = new RunDirectory(data.dir);
  const stoppable: Progress = {
    log: (m) => progress.log(m),
    start(label, total) {
      const task = progress.start(label, total);
      return {
        tick(steps, detail) {
          if (interruption.requested) throw new RunInterrupted(`${data.tag}: stopped (${interruption.requested}); a ranking seed starts again from its beginning`);
          task.tick(steps, detail);
        },
        done: (detail) => task.done(detail),
      };
    },
  };
  const result = await runRank(assembly, runDir, stoppable);
  runDir.writeJson('ranking.json', result);
  return { dir: data.dir };
}

export async function rankOnQueue(request: QueueRankRequest): Promise<{ dir: string; result?: RankResult; lines: string[] }> {
  const { raw, origin } = readPreset(request.preset, request.sets);
  // the whole experiment is checked before anything is enqueued
  const assembly = assembleRank(raw, origin);
  const { config } = assembly;
  const dir = path.resolve(request.out ?? path.join('runs', `rank-${config.name}`));
  const kernels = await pinnedKernels(config.backend);
  const units: Unit[] = config.rank.seeds.map((seed) => {
    const seedConfig = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
    // the benchmark file as the coordinator resolved it (a job has no preset file to be relative to)
    seedConfig.rank = { ...(seedConfig.rank as Record<string, unknown>), seeds: [seed], ...(assembly.benchmarkFile ? { benchmark: assembly.benchmarkFile } : {}) };
    const data: RankJobData = { kind: 'rank', version: 1, matrix: config.name, tag: `${config.name} / seed ${seed}`, dir: path.join(dir, 'seeds', `seed${seed}`), config: seedConfig, kernels };
    checkJob(data);
    return { job: { id: jobId(data), data }, done: () => fs.existsSync(path.join(data.dir, 'ranking.json')) };
  });
  const sets = (request.sets ?? []).map((s) => ` --set ${s}`).join('');
  const collect = `absnas rank ${request.preset}${sets} --queue ${request.queue} --out ${dir}`;
  const { complete } = await runMatrix({ name: config.name, queue: request.queue, units, kernels, detach: request.detach, quiet: request.quiet, collect });
  if (!complete) return { dir, lines: [] };
  const parts = units.map((u) => JSON.parse(fs.readFileSync(path.join(u.job.data.dir, 'ranking.json'), 'utf8')) as RankResult);
  const result = mergeRankResults(parts);
  const lines = writeRanking(new RunDirectory(dir), result, request.command);
  return { dir, result, lines };
}
