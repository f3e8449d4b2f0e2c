import * as fs from 'fs';
import * as path from 'path';
import { Nb201Benchmark } from '../benchmarks';
import type { Interruption } from '../checkpoint/interrupt';
import type { OriginFn } from '../config/load';
import { validateCoreConfig } from '../config/validate';
import type { RunConfig } from '../config/types';
import { assemble, type Assembly } from '../run/assemble';
import { executeRun, RunResult } from '../run/run';
import type { RunClaim } from '../run/open-run';
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

/** A validated comparison: its config, its cells in order, each cell's assembly, and the space's ground truth. */
export interface ComparisonPlan {
  raw: Record<string, unknown>;
  config: RunConfig;
  outDir: string;
  cells: CompareCell[];
  assemblies: Assembly[];
  benchmark: Nb201Benchmark | undefined;
}

/**
 * Check every cell's config before running any, so a typo fails at once
 * (UserError, exit 2) with nothing run or enqueued.
 */
export function planComparison(raw: Record<string, unknown>, origin: OriginFn, outDir: string): ComparisonPlan {
  const config = validateCoreConfig(raw, origin);
  if (!config.compare) throw new ConfigError(`${origin('/compare')}: /compare: absnas compare needs a compare section (searchers, seeds, spaces)`);
  const cells = planCells(config, outDir);
  const assemblies = cells.map((cell) => assemble(cellConfig(raw, cell, config.name), origin));
  return { raw, config, outDir, cells, assemblies, benchmark: benchmarkFor(config, assemblies[0].space.name) };
}

/** How logs and tables name a cell: `spos / abs / seed 0`. */
export function cellTag(cell: CompareCell): string {
  return `${cell.label} / ${cell.variant} / seed ${cell.seed}`;
}

/** How runCell runs a cell: its stop request, where it says that it resumes, and a queue job's claim on the directory. */
export interface CellOptions {
  interruption?: Interruption;
  say?: (message: string) => void;
  claim?: RunClaim;
}

/**
 * The one way a cell runs, in `absnas compare` and in `absnas worker`: a
 * cell with a result is kept; one interrupted part-way resumes from its
 * newest checkpoint; otherwise it starts. Returns whether it ran.
 */
export async function runCell(assembly: Assembly, dir: string, progress: Progress, options: CellOptions = {}): Promise<boolean> {
  if (fs.existsSync(path.join(dir, 'result.json'))) return false;
  const runDir = new RunDirectory(dir);
  const resume = runDir.holdsRun();
  if (resume) (options.say ?? ((m: string) => progress.log(m)))('resuming');
  await executeRun(assembly, runDir, progress, { resume, interruption: options.interruption, claim: options.claim });
  return true;
}

/** The kernel set that computed a cell (from its last start event), or null for a cell run before absnas recorded it. */
function cellKernels(dir: string): string | null {
  const starts = readJsonLines(path.join(dir, 'events.jsonl')).filter((e) => e.event === 'runStart' || e.event === 'runResume');
  const kernels = starts.length ? starts[starts.length - 1].kernels : undefined;
  return typeof kernels === 'string' ? kernels : null;
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
  const plan = planComparison(raw, origin, outDir);
  ensureDir(outDir);
  for (const [i, cell] of plan.cells.entries()) {
    const head = `compare ${i + 1}/${plan.cells.length}: ${cellTag(cell)}`;
    let said = false;
    const say = (m: string): void => {
      said = true;
      progress.log(`${head} (${m})`);
    };
    const ran = await runCell(plan.assemblies[i], cell.dir, progress, { interruption, say });
    if (!ran) progress.log(`${head}: done before, kept`);
    else if (!said) progress.log(head);
  }
  return writeComparison(plan);
}

/**
 * compare.json, compare.csv, compare.md and report.html from the cells'
 * result.json files (the truth, wherever the cells ran); every cell must
 * have its result.
 */
export async function writeComparison(plan: ComparisonPlan): Promise<ComparisonResult> {
  const { config, cells, benchmark, outDir } = plan;
  const compare = config.compare!;
  const space = plan.assemblies[0].space;
  const outcomes: CellOutcome[] = cells.map((cell) => {
    const result = JSON.parse(fs.readFileSync(path.join(cell.dir, 'result.json'), 'utf8')) as RunResult;
    return {
      label: cell.label,
      variant: cell.variant,
      seed: cell.seed,
      architecture: result.architecture,
      groundTruth: benchmark ? benchmark.lookup(result.architecture, compare.column) : null,
      valAccuracy: typeof result.metrics.valAccuracy === 'number' ? result.metrics.valAccuracy : null,
      supernetEpochs: (result.metrics.supernetEpochs ?? 0) + shrinkEpochs(cell, cells),
      seconds: lastRunSeconds(cell.dir),
    };
  });
  const computedBy = [...new Set(cells.map((c) => cellKernels(c.dir) ?? 'unrecorded'))].sort();

  const best = benchmark ? benchmark.best(compare.column) : null;
  const measure = benchmark ? compare.column : 'valAccuracy';
  const rows = compareTable(outcomes, best ? best.value : null);
  const seconds = new Map<string, number>();
  for (const o of outcomes) {
    const k = `${o.label}/${o.variant}`;
    seconds.set(k, (seconds.get(k) ?? 0) + o.seconds / compare.seeds.length);
  }
  writeJsonAtomic(path.join(outDir, 'compare.json'), {
    format: 'absnas.compare',
    version: 1,
    space: space.name,
    measure,
    best,
    computedBy,
    table: rows,
    cells: outcomes.map(({ seconds: _s, ...deterministic }) => deterministic),
    timing: Object.fromEntries(seconds),
  });
  writeFileAtomic(path.join(outDir, 'compare.csv'), tableCsv(rows));
  const md = [
    `# absnas compare: ${config.name}`,
    '',
    `Space \`${space.name}\`, seeds ${compare.seeds.join(', ')}; values: ${measure}${best ? ` (best in the space: ${best.value.toFixed(2)}, \`${best.arch}\`)` : ''}.`,
    `Computed by: ${computedBy.join('; ')}.`,
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
