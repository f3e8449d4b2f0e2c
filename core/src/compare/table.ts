/** What one finished cell contributes to the comparison. */
export interface CellOutcome {
  label: string;
  variant: 'original' | 'abs';
  seed: number;
  architecture: string;
  /** Ground-truth value of the found architecture (benchmark column), if the space has a benchmark. */
  groundTruth: number | null;
  /** The searcher's own validation score of its pick. */
  valAccuracy: number | null;
  /** Supernet epochs: the search's, plus the shrinking's for ABS cells (shared by the seed's ABS cells). */
  supernetEpochs: number;
  seconds: number;
}

export interface Stat {
  mean: number | null;
  std: number | null;
  n: number;
}

export interface CompareRow {
  searcher: string;
  original: Stat;
  abs: Stat;
  /** abs.mean - original.mean. */
  gain: number | null;
  /** Best value of the space minus the mean found value. */
  regretOriginal: number | null;
  regretAbs: number | null;
  epochsOriginal: Stat;
  epochsAbs: Stat;
}

/** Mean and (sample) standard deviation; nulls where there are no values. */
export function stat(values: readonly number[]): Stat {
  const n = values.length;
  if (n === 0) return { mean: null, std: null, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/**
 * One row per searcher: ground truth (or, without a benchmark, validation
 * accuracy) with and without ABS, the gain, the regret and the cost. A pure
 * function of the cells' results, so an interrupted and resumed comparison
 * gives the same table.
 */
export function compareTable(cells: readonly CellOutcome[], best: number | null): CompareRow[] {
  const searchers = [...new Set(cells.map((c) => c.label))];
  const value = (c: CellOutcome): number | null => c.groundTruth ?? c.valAccuracy;
  return searchers.map((searcher) => {
    const pick = (variant: 'original' | 'abs') => cells.filter((c) => c.label === searcher && c.variant === variant);
    const values = (variant: 'original' | 'abs') => pick(variant).map(value).filter((v): v is number => v !== null);
    const original = stat(values('original'));
    const abs = stat(values('abs'));
    const regret = (s: Stat) => (best !== null && s.mean !== null ? best - s.mean : null);
    return {
      searcher,
      original,
      abs,
      gain: original.mean !== null && abs.mean !== null ? abs.mean - original.mean : null,
      regretOriginal: regret(original),
      regretAbs: regret(abs),
      epochsOriginal: stat(pick('original').map((c) => c.supernetEpochs)),
      epochsAbs: stat(pick('abs').map((c) => c.supernetEpochs)),
    };
  });
}

const fmt = (s: Stat, digits = 2): string =>
  s.mean === null ? 'n/a' : `${s.mean.toFixed(digits)} ± ${(s.std ?? 0).toFixed(digits)}${s.n > 1 ? '' : ' (1 seed)'}`;
const num = (x: number | null, digits = 2): string => (x === null ? 'n/a' : x.toFixed(digits));

export function tableMarkdown(rows: readonly CompareRow[], measure: string, seconds: Map<string, number>): string {
  const lines = [
    `| searcher | original space (${measure}) | ABS-shrunk space (${measure}) | gain | regret original | regret ABS | supernet epochs original / ABS | wall time original / ABS (s) |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.searcher} | ${fmt(r.original)} | ${fmt(r.abs)} | ${num(r.gain)} | ${num(r.regretOriginal)} | ${num(r.regretAbs)} | ` +
        `${num(r.epochsOriginal.mean, 1)} / ${num(r.epochsAbs.mean, 1)} | ` +
        `${num(seconds.get(`${r.searcher}/original`) ?? null, 0)} / ${num(seconds.get(`${r.searcher}/abs`) ?? null, 0)} |`,
    );
  }
  return lines.join('\n');
}

export function tableCsv(rows: readonly CompareRow[]): string {
  const head = 'searcher,original_mean,original_std,original_n,abs_mean,abs_std,abs_n,gain,regret_original,regret_abs,epochs_original,epochs_abs';
  const v = (x: number | null): string => (x === null ? '' : String(x));
  return [
    head,
    ...rows.map((r) =>
      [r.searcher, v(r.original.mean), v(r.original.std), r.original.n, v(r.abs.mean), v(r.abs.std), r.abs.n, v(r.gain), v(r.regretOriginal), v(r.regretAbs), v(r.epochsOriginal.mean), v(r.epochsAbs.mean)].join(','),
    ),
  ].join('\n') + '\n';
}
