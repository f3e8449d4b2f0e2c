import * as fs from 'fs';
import * as path from 'path';
import type { SearchSpace } from '../space/search-space';
import { readJsonLines, writeFileAtomic } from '../util/fs';
import { cellGraphSpec, compareSpec, EpochPoint, rankingSpec, renderChart, shrinkHistorySpec, trainingCurvesSpec } from './charts';

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, sections: string[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
code { background: #f4f4f4; padding: 1px 4px; } figure { margin: 1.5em 0; }
</style></head><body>
<h1>${escape(title)}</h1>
${sections.join('\n')}
</body></html>
`;
}

function table(head: string[], rows: (string | number)[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escape(String(c))}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function readJson<T>(file: string): T | undefined {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as T) : undefined;
}


/**
 * report.html of a run directory: the found child (as a graph where the space
 * draws one), its numbers, the shrink history, the training curves and, when
 * `absnas rank` wrote ranking.json there, the ranking chart.
 */
export async function writeRunReport(dir: string, space?: SearchSpace): Promise<string> {
  const result = readJson<{ name: string; architecture: string; metrics: Record<string, number>; cost: { params: number; flops: number }; searcher: string; space: string; seed: number }>(path.join(dir, 'result.json'));
  const shrunk = readJson<{ sizeBefore: number; rounds: { round: number; sizeAfter: number; epochs: number; dropped: { choicePoint: string; op: string; score: number }[] }[] }>(path.join(dir, 'shrunk-space.json'));
  const sections: string[] = [];
  if (result) {
    sections.push(`<h2>Found architecture</h2><p><code>${escape(result.architecture)}</code></p>`);
    sections.push(
      table(['measure', 'value'], [
        ...Object.entries(result.metrics).map(([k, v]) => [k, /accuracy/i.test(k) && v <= 1 ? `${(100 * v).toFixed(2)}%` : String(v)]),
        ['params', `${(result.cost.params / 1e6).toFixed(6)} M`],
        ['FLOPs', `${(result.cost.flops / 1e6).toFixed(5)} M`],
      ]),
    );
    const graph = space?.graph?.(space.parse(result.architecture));
    if (graph) sections.push(`<figure>${await renderChart(cellGraphSpec(graph.nodes, graph.edges, 'The found cell'))}</figure>`);
  }
  if (shrunk) {
    const sizes = [{ round: 0, size: shrunk.sizeBefore }, ...shrunk.rounds.map((r) => ({ round: r.round, size: r.sizeAfter }))];
    sections.push('<h2>Shrinking</h2>', `<figure>${await renderChart(shrinkHistorySpec(sizes))}</figure>`);
    sections.push(
      table(
        ['round', 'epochs trained', 'size after', 'dropped (score)'],
        shrunk.rounds.map((r) => [r.round, r.epochs, r.sizeAfter, r.dropped.map((d) => `${d.op}@${d.choicePoint} (${d.score.toFixed(4)})`).join(', ')]),
      ),
    );
  }
  const epochs = readJsonLines(path.join(dir, 'events.jsonl')).filter((e) => e.event === 'epoch') as unknown as EpochPoint[];
  if (epochs.length) sections.push('<h2>Training</h2>', `<figure>${await renderChart(trainingCurvesSpec(epochs))}</figure>`);
  const ranking = readJson<{ taus?: { metric: string; epoch: number; tau: number }[] }>(path.join(dir, 'ranking.json'));
  if (ranking?.taus?.length) sections.push('<h2>Ranking</h2>', `<figure>${await renderChart(rankingSpec(ranking.taus))}</figure>`);
  const file = path.join(dir, 'report.html');
  writeFileAtomic(file, page(`absnas run: ${result?.name ?? path.basename(dir)}`, sections));
  return file;
}

/** report.html of an `absnas compare` directory: the table and the with/without-ABS chart. */
export async function writeCompareReport(dir: string): Promise<string> {
  const c = readJson<{
    space: string;
    measure: string;
    best: { arch: string; value: number } | null;
    table: { searcher: string; original: { mean: number | null; std: number | null; n: number }; abs: { mean: number | null; std: number | null; n: number }; gain: number | null; regretOriginal: number | null; regretAbs: number | null }[];
    cells: { label: string; variant: string; seed: number; architecture: string; groundTruth: number | null; valAccuracy: number | null }[];
  }>(path.join(dir, 'compare.json'));
  if (!c) throw new Error(`${dir} holds no compare.json`);
  const f = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(2));
  const sections = [
    `<p>Space <code>${escape(c.space)}</code>; values: ${escape(c.measure)}${c.best ? `; best in the space ${c.best.value.toFixed(2)}` : ''}.</p>`,
    table(
      ['searcher', 'original', 'ABS-shrunk', 'gain', 'regret original', 'regret ABS'],
      c.table.map((r) => [r.searcher, `${f(r.original.mean)} ± ${f(r.original.std)} (n=${r.original.n})`, `${f(r.abs.mean)} ± ${f(r.abs.std)} (n=${r.abs.n})`, f(r.gain), f(r.regretOriginal), f(r.regretAbs)]),
    ),
    `<figure>${await renderChart(
      compareSpec(
        c.cells.map((x) => ({ searcher: x.label, space: x.variant, seed: x.seed, value: (x.groundTruth ?? x.valAccuracy) as number })),
        c.measure,
      ),
    )}</figure>`,
    '<h2>Cells</h2>',
    table(['searcher', 'space', 'seed', 'architecture', 'value'], c.cells.map((x) => [x.label, x.variant, x.seed, x.architecture, f(x.groundTruth ?? x.valAccuracy)])),
  ];
  const file = path.join(dir, 'report.html');
  writeFileAtomic(file, page(`absnas compare: ${path.basename(dir)}`, sections));
  return file;
}
