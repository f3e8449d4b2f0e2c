import * as fs from 'fs';
import * as path from 'path';
import { Nb201Benchmark } from '../benchmarks';
import type { Interruption } from '../checkpoint/interrupt';
import type { OriginFn } from '../config/load';
import { validateCoreConfig } from '../config/validate';
import type { RunConfig } from '../config/types';
import { assemble } from '../run/assemble';
import { executeRun, RunResult } from '../run/run';
import { RunDirectory } from '../run/run-dir';
import { ConfigError } from '../util/errors';
import { ensureDir, readJsonLines, writeFileAtomic, writeJsonAtomic } from '../util/fs';
import type { Progress } from '../util/progress';
import { interruptible, progressFor, readPreset } from '../run/launch';
import { writeCompareReport } from '../report/html';
import { cellConfig, CompareCell, planCells } from './cells';
import { CellOutcome, compareTable, CompareRow, tableCsv, tableMarkdown } from './table';

export interface ComparisonResult {
  rows: CompareRow[];
  cells: CellOutcome[];
  /** What the table's values are: a benchmark column, or the searchers' validation accuracy. */
  measure: string;
  best: { arch: string; value: number } | null;
}

/** The ground truth of a space, where one is known (NAS-Bench-201). */
function benchmarkFor(config: RunConfig, spaceName: string): Nb201Benchmark | undefined {
  if (spaceName !== 'nb201') return undefined;
  return Nb201Benchmark.load(config.compare!.benchmark);
}

function lastRunSeconds(dir: string): number {
  const ends = readJsonLines(path.join(dir, 'events.jsonl')).filter((e) => e.event === 'runEnd');
  return ends.length ? Number((ends[ends.length - 1].seconds as { total?: number } | undefined)?.total ?? 0) : 0;
}

function shrinkEpochs(cell: CompareCell, cells: readonly CompareCell[]): number {
  if (cell.variant !== 'abs') return 0;
  const shrinker = cells.find((c) => c.variant === 'abs' && c.seed === cell.seed && c.shrinks);
  const file = shrinker && path.join(shrinker.dir, 'shrunk-space.json');
  if (!file || !fs.existsSync(file)) return 0;
  const rounds = JSON.parse(fs.readFileSync(file, 'utf8')).rounds as { epochs: number }[];
  return rounds.length ? rounds[rounds.length - 1].epochs : 0;
}

/**
 * Run every cell of the matrix that has no result yet (a cell interrupted
 * part-way resumes from its checkpoints), then build the table from the
 * cells' results. Re-running after a kill therefore only does what is missing.
 */
export async function runComparison(
  raw: Record<string, unknown>,
  origin: OriginFn,
  outDir: string,
  progress: Progress,
  interruption?: Interruption,
): Promise<ComparisonResult> {
  const config = validateCoreConfig(raw, origin);
  if (!config.compare) throw new ConfigError(`${origin('/compare')}: /compare: absnas compare needs a compare section (searchers, seeds, spaces)`);
  // check every cell's config before running any, so a typo fails at once
  const cells = planCells(config, outDir);
  const assemblies = cells.map((cell) => assemble(cellConfig(raw, cell, config.name), origin));
  const space = assemblies[0].space;
  const benchmark = benchmarkFor(config, space.name);
  ensureDir(outDir);

  const outcomes: CellOutcome[] = [];
  for (const [i, cell] of cells.entries()) {
    const resultFile = path.join(cell.dir, 'result.json');
    const tag = `${cell.label} / ${cell.variant} / seed ${cell.seed}`;
    if (fs.existsSync(resultFile)) {
      progress.log(`compare ${i + 1}/${cells.length}: ${tag}: done before, kept`);
    } else {
      const runDir = new RunDirectory(cell.dir);
      const resume = runDir.holdsRun();
      progress.log(`compare ${i + 1}/${cells.length}: ${tag}${resume ? ' (resuming)' : ''}`);
      await executeRun(assemblies[i], runDir, progress, { resume, interruption });
    }
    const result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as RunResult;
    outcomes.push({
      label: cell.label,
      variant: cell.variant,
      seed: cell.seed,
      architecture: result.architecture,
      groundTruth: benchmark ? benchmark.lookup(result.architecture, config.compare.column) : null,
      valAccuracy: typeof result.metrics.valAccuracy === 'number' ? result.metrics.valAccuracy : null,
      supernetEpochs: (result.metrics.supernetEpochs ?? 0) + shrinkEpochs(cell, cells),
      seconds: lastRunSeconds(cell.dir),
    });
  }

  const best = benchmark ? benchmark.best(config.compare.column) : null;
  const measure = benchmark ? config.compare.column : 'valAccuracy';
  const rows = compareTable(outcomes, best ? best.value : null);
  const seconds = new Map<string, number>();
  for (const o of outcomes) {
    const k = `${o.label}/${o.variant}`;
    seconds.set(k, (seconds.get(k) ?? 0) + o.seconds / config.compare.seeds.length);
  }
  writeJsonAtomic(path.join(outDir, 'compare.json'), {
    format: 'absnas.compare',
    version: 1,
    space: space.name,
    measure,
    best,
    table: rows,
    cells: outcomes.map(({ seconds: _s, ...deterministic }) => deterministic),
    timing: Object.fromEntries(seconds),
  });
  writeFileAtomic(path.join(outDir, 'compare.csv'), tableCsv(rows));
  const md = [
    `# absnas compare: ${config.name}`,
    '',
    `Space \`${space.name}\`, seeds ${config.compare.seeds.join(', ')}; values: ${measure}${best ? ` (best in the space: ${best.value.toFixed(2)}, \`${best.arch}\`)` : ''}.`,
    '',
    tableMarkdown(rows, measure, seconds),
    '',
    '## Cells',
    '',
    '| searcher | space | seed | architecture | value |',
    '| --- | --- | --- | --- | --- |',
    ...outcomes.map((o) => `| ${o.label} | ${o.variant} | ${o.seed} | \`${o.architecture}\` | ${(o.groundTruth ?? o.valAccuracy ?? NaN).toFixed(2)} |`),
    '',
  ].join('\n');
  writeFileAtomic(path.join(outDir, 'compare.md'), md);
  await writeCompareReport(outDir);
  return { rows, cells: outcomes, measure, best };
}

/** `absnas compare` asked for on the command line: a preset with overrides, where to write, how loud. */
export interface ComparisonRequest {
  preset: string;
  sets?: readonly string[];
  /** The comparison's directory (default: runs/compare-<preset name>); running again finishes what is missing. */
  out?: string;
  quiet?: boolean;
}

/** `absnas compare`: every cell of a preset's matrix that has no result yet, then the table. */
export async function launchComparison(request: ComparisonRequest): Promise<{ result: ComparisonResult; dir: string }> {
  const { raw, origin } = readPreset(request.preset, request.sets);
  const progress = progressFor(request.quiet);
  const dir = path.resolve(request.out ?? path.join('runs', `compare-${path.basename(request.preset, '.json')}`));
  const result = await interruptible(`finish it with: absnas compare ${request.preset} --out ${dir}`, (interruption) =>
    runComparison(raw, origin, dir, progress, interruption),
  );
  return { result, dir };
}
