/**
 * A small, dependency-free SVG line chart: one polyline per series with
 * optional error bars, axes with ticks, and a legend. Enough for the rank
 * experiment's tau-against-epoch plot.
 */

export interface ChartPoint {
  x: number;
  y: number;
  /** Half-length of an error bar (e.g. one standard deviation). */
  err?: number;
}

export interface ChartSeries {
  label: string;
  points: ChartPoint[];
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  /** Logarithmic x axis (all x must be > 0). */
  logX?: boolean;
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten. */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  for (let k = first; k <= last; k++) out.push(Number((k * step).toPrecision(12)) + 0);
  return out;
}

function fmt(v: number): string {
  return Number(v.toPrecision(6)).toString();
}

export function lineChartSvg(chart: LineChart): string {
  const W = chart.width ?? 720;
  const H = chart.height ?? 420;
  const m = { left: 64, right: 190, top: 40, bottom: 56 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const pts = chart.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xs = pts.map((p) => p.x);
  const logX = Boolean(chart.logX) && xs.every((x) => x > 0);
  const tx = (x: number): number => (logX ? Math.log10(x) : x);
  let x0 = xs.length ? Math.min(...xs.map(tx)) : 0;
  let x1 = xs.length ? Math.max(...xs.map(tx)) : 1;
  if (x1 === x0) {
    x0 -= 0.5;
    x1 += 0.5;
  }
  // keep points (and their error bars) off the frame
  const pad = 0.05 * (x1 - x0);
  x0 -= pad;
  x1 += pad;
  const lows = pts.map((p) => p.y - (p.err ?? 0));
  const highs = pts.map((p) => p.y + (p.err ?? 0));
  let y0 = Math.min(0, ...lows);
  let y1 = Math.max(0.1, ...highs);
  const yTicks = niceTicks(y0, y1);
  y0 = Math.min(y0, yTicks[0]);
  y1 = Math.max(y1, yTicks[yTicks.length - 1]);
  const sx = (x: number): number => m.left + ((tx(x) - x0) / (x1 - x0)) * pw;
  const sy = (y: number): number => m.top + (1 - (y - y0) / (y1 - y0)) * ph;
  const xTicks = [...new Set(xs)].sort((a, b) => a - b);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(chart.title)}</text>`);
  // grid and y ticks
  for (const t of yTicks) {
    const y = sy(t).toFixed(1);
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" stroke="${t === 0 ? '#888' : '#e5e5e5'}"/>`);
    out.push(`<text x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`);
  }
  for (const t of xTicks) {
    const x = sx(t).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${m.top + ph}" y2="${m.top + ph + 5}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${m.top + ph + 18}" text-anchor="middle">${fmt(t)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(
    `<text x="${m.left + pw / 2}" y="${H - 14}" text-anchor="middle">${escapeXml(chart.xLabel)}${logX ? ' (log scale)' : ''}</text>`,
  );
  out.push(
    `<text x="16" y="${m.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${m.top + ph / 2})">${escapeXml(chart.yLabel)}</text>`,
  );
  chart.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const good = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    // series side by side, a few pixels apart, so that error bars do not hide each other
    const dodge = (i - (chart.series.length - 1) / 2) * 3;
    out.push(`<g class="series" data-label="${escapeXml(s.label)}" stroke="${color}" fill="${color}">`);
    if (good.length > 1) {
      out.push(`<polyline fill="none" stroke-width="2" points="${good.map((p) => `${(sx(p.x) + dodge).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')}"/>`);
    }
    for (const p of good) {
      const cx = (sx(p.x) + dodge).toFixed(1);
      if (p.err && p.err > 0) {
        out.push(`<line x1="${cx}" x2="${cx}" y1="${sy(p.y - p.err).toFixed(1)}" y2="${sy(p.y + p.err).toFixed(1)}" stroke-width="1"/>`);
      }
      out.push(`<circle cx="${cx}" cy="${sy(p.y).toFixed(1)}" r="3"><title>${escapeXml(`${s.label}: ${fmt(p.x)}, ${p.y.toFixed(3)}`)}</title></circle>`);
    }
    out.push('</g>');
    const ly = m.top + 10 + i * 20;
    const lx = m.left + pw + 16;
    out.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 28}" y="${ly}" dominant-baseline="middle">${escapeXml(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
