import type { SearchSpace } from '../space/search-space';
import type { RunOutcome } from './run';
import type { ScratchResult } from './training';

const pct = (x: number | undefined): string => (x === undefined ? 'n/a' : `${(100 * x).toFixed(2)}%`);

/** The run's report.md: shrink rounds, the shrunk space, the found child and its numbers. */
export function renderReport(outcome: RunOutcome, space: SearchSpace): string {
  const { result, shrink, seconds, backend } = outcome;
  const lines: string[] = [];
  lines.push(`# absnas run: ${result.name}`, '');
  lines.push(`- space: \`${result.space}\`, searcher: \`${result.searcher}\`, shrinking metric: \`${result.metric ?? 'none (original space)'}\``);
  lines.push(`- seed ${result.seed}, backend \`${backend.name}\``);
  lines.push(`- wall time: ${seconds.total.toFixed(1)} s (shrinking ${seconds.shrink.toFixed(1)} s, search ${seconds.search.toFixed(1)} s)`, '');

  lines.push('## Shrinking', '');
  if (!shrink) {
    lines.push('Disabled: the searcher ran over the original space.', '');
  } else {
    lines.push(`Space size ${result.shrink.sizeBefore} -> ${result.shrink.sizeAfter} in ${shrink.rounds.length} round(s), ${shrink.epochs} supernet epoch(s).`, '');
    lines.push('| round | epochs trained | size before | size after | dropped (score) |', '| --- | --- | --- | --- | --- |');
    for (const r of shrink.rounds) {
      const dropped = r.dropped.map((d) => `${d.op}@${d.choicePoint} (${d.score.toFixed(4)})`).join(', ');
      lines.push(`| ${r.round} | ${r.epochs} | ${r.sizeBefore} | ${r.sizeAfter} | ${dropped}${r.baseRetaken ? ' (W0 re-taken)' : ''} |`);
    }
    lines.push('');
  }
  lines.push('Remaining candidates:', '', '| choice point | candidates |', '| --- | --- |');
  for (const p of space.choicePoints) lines.push(`| ${p.id} | ${result.shrink.candidates[p.id].join(', ')} |`);
  lines.push('');

  lines.push('## Found architecture', '', '```', result.architecture, '```', '');
  lines.push('| measure | value |', '| --- | --- |');
  for (const [k, v] of Object.entries(result.metrics)) {
    lines.push(`| ${k} | ${/accuracy/i.test(k) && v <= 1 ? pct(v) : String(v)} |`);
  }
  lines.push(`| params | ${(result.cost.params / 1e6).toFixed(6)} M |`, `| FLOPs | ${(result.cost.flops / 1e6).toFixed(5)} M |`, '');
  return lines.join('\n');
}

/** The report.md of `absnas train`: the architecture, its numbers and the training curve. */
export function renderTrainReport(r: ScratchResult, history: { epoch: number; loss: number; trainAccuracy: number; learningRate: number; seconds: number }[], backend: string, seconds: number): string {
  const lines = [
    `# absnas train: ${r.name}`,
    '',
    `- space \`${r.space}\`, seed ${r.seed}, backend \`${backend}\`, wall time ${seconds.toFixed(1)} s`,
    `- network options: \`${JSON.stringify(r.network)}\``,
    '',
    '```',
    r.architecture,
    '```',
    '',
    '| measure | value |',
    '| --- | --- |',
    ...Object.entries(r.metrics).map(([k, v]) => `| ${k} | ${/accuracy/i.test(k) ? pct(v) : String(v)} |`),
    `| params (trained network) | ${r.params} |`,
    `| params / FLOPs (space's cost) | ${(r.cost.params / 1e6).toFixed(6)} M / ${(r.cost.flops / 1e6).toFixed(3)} M |`,
    '',
    '| epoch | loss | train accuracy | lr | seconds |',
    '| --- | --- | --- | --- | --- |',
    ...history.map((h) => `| ${h.epoch} | ${h.loss.toFixed(4)} | ${pct(h.trainAccuracy)} | ${h.learningRate.toPrecision(3)} | ${h.seconds.toFixed(1)} |`),
    '',
  ];
  return lines.join('\n');
}
