import type { RunDirectory } from '../run/run-dir';
import type { RankResult } from './experiment';
import { type MeanStd, formatMeanStd, meanStd } from './summary';
import { lineChartSvg } from './svg';

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function num(v: number, digits = 4): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '';
}

function scope(r: RankResult, m: RankResult['metrics'][number]): string {
  const n = m.children === 'all' ? r.spaceSize : r.sampleSize;
  return `${m.children === 'all' ? 'all' : 'sample'} (${n})${m.supernet === 'own' ? ', own supernet' : ''}`;
}

/** Mean ± std over the seeds where the correlation is defined; says so when that is not every seed. */
function cell(r: RankResult, m: MeanStd, digits = 3): string {
  const text = formatMeanStd(m, digits);
  return m.n > 0 && m.n < r.seeds.length ? `${text} (${m.n} of ${r.seeds.length} seeds)` : text;
}

function perEpochTable(r: RankResult, pick: (s: RankResult['metrics'][number]['summary'][number]) => MeanStd): string {
  return table(
    ['metric', 'children', ...r.epochs.map((e) => `epoch ${e}`)],
    r.metrics.map((m) => [m.label, scope(r, m), ...m.summary.map((s) => cell(r, pick(s)))]),
  );
}

/** Seconds with three significant digits, for costs from microseconds to minutes. */
function seconds(m: MeanStd): string {
  if (m.n === 0) return 'n/a';
  const f = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toPrecision(3));
  return m.n > 1 && Number.isFinite(m.std) ? `${f(m.mean)} ± ${f(m.std)}` : f(m.mean);
}

/** ranking.md: the tables of one rank experiment. */
export function renderRankMarkdown(r: RankResult, command?: string): string {
  const seeds = r.seeds.length;
  const last = r.epochs[r.epochs.length - 1];
  const lines = [
    `# absnas rank: ${r.name}`,
    '',
    `Rank correlation of each metric's scores of child models with the benchmark column \`${r.column}\` ` +
      `(${r.benchmark}), after each number of supernet epochs; mean ± sample standard deviation over ${seeds} seed(s) ` +
      `(${r.seeds.join(', ')}). Space ${r.space} ${JSON.stringify(r.spaceOptions)} (${r.spaceSize} children); ` +
      `data ${r.data.dataset}: ${r.data.train} training, ${r.data.val} validation images. ` +
      `"sample" metrics score the same seeded sample of ${r.sampleSize} children per seed; ` +
      `"own supernet": the metric trains alongside its own supernet (same initial weights and data order). ` +
      `Base weights W0 of the angle: ${r.baseEpoch ? `the supernet after epoch ${r.baseEpoch}` : 'the supernet as built'}. ` +
      `n/a: every scored child got the same score, so the rank correlation is undefined.`,
    '',
    '## Kendall tau-b',
    '',
    perEpochTable(r, (s) => s.kendallTau),
    '',
    '## Spearman rho',
    '',
    perEpochTable(r, (s) => s.spearman),
    '',
    `## Kendall tau-b on the common sample (${r.sampleSize} children, scored by every metric)`,
    '',
    perEpochTable(r, (s) => s.kendallTauSample),
    '',
    `## Spearman rho on the common sample`,
    '',
    perEpochTable(r, (s) => s.spearmanSample),
    '',
    '## Cost: seconds per child scored',
    '',
    "Wall time of a scoring round (the metric's preparation included) divided by the children it scored; mean ± std over the seeds.",
    '',
    table(
      ['metric', 'children', ...r.epochs.map((e) => `epoch ${e}`)],
      r.metrics.map((m) => [m.label, scope(r, m), ...m.summary.map((s) => seconds(s.secondsPerChild))]),
    ),
    '',
    `## Operator dropping at epoch ${last}`,
    '',
    `Each metric's operator score is the mean score of the scored children that contain the operator; the ` +
      `${r.dropCount} lowest are dropped (never the last one of an edge), and we count how many of the benchmark's ` +
      `${r.topCount} best operators (mean \`${r.column}\` of the architectures containing them) survive.`,
    '',
    table(
      ['metric', `kept of top ${r.topCount}`, 'per seed'],
      [
        ...r.metrics.map((m) => [m.label, formatMeanStd(m.keptOfTop, 1), m.seeds.map((s) => s.operators?.keptOfTop ?? 'n/a').join(', ')]),
        ['benchmark itself (the best possible)', String(r.oracleKeptOfTop), ''],
      ],
    ),
    '',
    `The benchmark's top ${r.topCount}: ${r.topOperators.map((o) => `${o.op}@${o.choicePoint}`).join(', ')}.`,
    '',
    `### Kept of the top ${r.topCount} if the drop were made after each epoch`,
    '',
    perEpochTable(r, (s) => s.keptOfTop ?? meanStd([])),
    '',
    '## Supernet training',
    '',
    table(
      ['seed', 'supernet', 'epoch', 'loss', 'train acc', 'lr', 'seconds'],
      r.training.map((t) => [
        String(t.seed),
        t.supernet,
        String(t.epoch),
        t.loss.toFixed(3),
        `${(100 * t.trainAccuracy).toFixed(1)}%`,
        t.learningRate.toPrecision(3),
        t.seconds.toFixed(1),
      ]),
    ),
    '',
    '## Run',
    '',
    `- backend: ${r.backend}`,
    `- wall time: ${r.seconds.total.toFixed(0)} s (supernet training ${r.seconds.training.toFixed(0)} s, scoring ${r.seconds.scoring.toFixed(0)} s)`,
    ...(command ? [`- command: \`${command}\``] : []),
    '',
  ];
  return lines.join('\n');
}

/** ranking.csv: one row per metric, seed and scoring epoch. */
export function renderRankCsv(r: RankResult): string {
  const header = [
    'metric',
    'plugin',
    'children_scope',
    'supernet',
    'seed',
    'epoch',
    'children',
    'kendall_tau_b',
    'spearman',
    'kendall_tau_b_sample',
    'spearman_sample',
    `kept_of_top${r.topCount}`,
    'seconds',
    'seconds_per_child',
  ];
  const rows = r.metrics.flatMap((m) =>
    m.seeds.flatMap((s) =>
      s.epochs.map((e) => [
        m.label,
        m.plugin,
        m.children,
        m.supernet,
        String(s.seed),
        String(e.epoch),
        String(e.children),
        num(e.kendallTau),
        num(e.spearman),
        num(e.kendallTauSample),
        num(e.spearmanSample),
        e.keptOfTop === undefined ? '' : String(e.keptOfTop),
        e.seconds.toFixed(2),
        e.secondsPerChild.toPrecision(4),
      ]),
    ),
  );
  const quote = (c: string): string => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  return [header, ...rows].map((row) => row.map(quote).join(',')).join('\n') + '\n';
}

/** tau.svg: Kendall tau-b against supernet epoch, one line per metric, error bars of one standard deviation. */
export function renderTauSvg(r: RankResult): string {
  const positive = r.epochs.every((e) => e > 0);
  return lineChartSvg({
    title: `Kendall tau-b against ${r.column} (${r.seeds.length} seed${r.seeds.length === 1 ? '' : 's'})`,
    xLabel: 'supernet epoch',
    yLabel: 'Kendall tau-b',
    logX: positive && r.epochs[r.epochs.length - 1] / r.epochs[0] >= 10,
    series: r.metrics.map((m) => ({
      label: m.label,
      points: m.summary.map((s) => ({ x: s.epoch, y: s.kendallTau.mean, err: Number.isNaN(s.kendallTau.std) ? undefined : s.kendallTau.std })),
    })),
  });
}

/**
 * ranking.json, ranking.csv, ranking.md and tau.svg of `result` into
 * `runDir`; returns the summary lines `absnas rank` prints (the local run
 * and the one spread over a queue write the same files).
 */
export function writeRanking(runDir: RunDirectory, result: RankResult, command: string): string[] {
  runDir.writeJson('ranking.json', result);
  runDir.writeText('ranking.csv', renderRankCsv(result));
  runDir.writeText('ranking.md', renderRankMarkdown(result, command));
  runDir.writeText('tau.svg', renderTauSvg(result));
  const last = result.epochs.length - 1;
  const width = Math.max(...result.metrics.map((m) => m.label.length), 6);
  return [
    `Kendall tau-b against ${result.column} at epoch ${result.epochs[last]} (${result.seeds.length} seed(s)); top-${result.topCount} operators kept after dropping ${result.dropCount}:`,
    ...result.metrics.map((m) => `  ${m.label.padEnd(width)}  tau ${formatMeanStd(m.summary[last].kendallTau)}   kept ${formatMeanStd(m.keptOfTop, 1)}`),
    `time: ${result.seconds.total.toFixed(1)} s`,
    `report: ${runDir.file('ranking.md')}`,
  ];
}
