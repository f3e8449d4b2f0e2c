/** Mean and sample standard deviation (n - 1); std is NaN for fewer than two values. NaN values are left out. */
export interface MeanStd {
  mean: number;
  std: number;
  n: number;
}

export function meanStd(values: readonly number[]): MeanStd {
  const v = values.filter((x) => !Number.isNaN(x));
  const n = v.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, std: NaN, n };
  const ss = v.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / (n - 1)), n };
}

/** `0.575 ± 0.002`, `0.575` for a single value, `n/a` for none. */
export function formatMeanStd(m: MeanStd, digits = 3): string {
  if (m.n === 0 || Number.isNaN(m.mean)) return 'n/a';
  return Number.isNaN(m.std) ? m.mean.toFixed(digits) : `${m.mean.toFixed(digits)} ± ${m.std.toFixed(digits)}`;
}
