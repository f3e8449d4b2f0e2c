import type { TopLevelSpec } from 'vega-lite';

/**
 * Charts as SVG strings, rendered server-side by Vega-Lite/Vega (no canvas,
 * no browser), so a report is one self-contained file.
 */
export async function renderChart(spec: TopLevelSpec): Promise<string> {
  // loaded on demand: only report writing needs the charting libraries
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const vega = require('vega') as typeof import('vega');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const vl = require('vega-lite') as typeof import('vega-lite');
  const compiled = vl.compile({ ...spec, config: { font: 'sans-serif', ...(spec.config ?? {}) } } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface EpochPoint {
  phase: string;
  epoch: number;
  loss: number;
  trainAccuracy: number;
}

export function trainingCurvesSpec(points: readonly EpochPoint[]): TopLevelSpec {
  const rows = points.flatMap((p) => [
    { phase: p.phase, epoch: p.epoch, measure: 'loss', value: p.loss },
    { phase: p.phase, epoch: p.epoch, measure: 'train accuracy', value: p.trainAccuracy },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Supernet training',
    data: { values: rows },
    facet: { column: { field: 'measure', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 300,
      height: 180,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'phase', type: 'nominal', title: 'phase' },
      },
    },
  } as TopLevelSpec;
}

export function shrinkHistorySpec(sizes: readonly { round: number; size: number }[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Search space size per shrink round',
    width: 360,
    height: 200,
    data: { values: sizes.map((s) => ({ ...s })) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'round', type: 'quantitative', title: 'round (0 = original space)', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'size', type: 'quantitative', title: 'children', scale: { type: 'log' } },
    },
  };
}

export function compareSpec(cells: readonly { searcher: string; space: string; seed: number; value: number }[], measure: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Found architectures with and without ABS (${measure})`,
    data: { values: cells.map((c) => ({ ...c })) },
    facet: { column: { field: 'searcher', type: 'nominal', title: null } },
    spec: {
      width: 140,
      height: 220,
      layer: [
        {
          mark: { type: 'bar', opacity: 0.6 },
          encoding: {
            x: { field: 'space', type: 'nominal', title: null, sort: ['original', 'abs'] },
            y: { aggregate: 'mean', field: 'value', type: 'quantitative', title: measure, scale: { zero: false } },
            color: { field: 'space', type: 'nominal', legend: null },
          },
        },
        {
          mark: { type: 'errorbar', extent: 'stdev' },
          encoding: {
            x: { field: 'space', type: 'nominal', sort: ['original', 'abs'] },
            y: { field: 'value', type: 'quantitative', title: measure },
          },
        },
        {
          mark: { type: 'point', filled: true, color: 'black' },
          encoding: {
            x: { field: 'space', type: 'nominal', sort: ['original', 'abs'] },
            y: { field: 'value', type: 'quantitative' },
            tooltip: [{ field: 'seed' }, { field: 'value' }],
          },
        },
      ],
    },
  } as TopLevelSpec;
}

export function rankingSpec(points: readonly { metric: string; epoch: number; tau: number }[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Kendall tau of child ranking against the ground truth',
    width: 360,
    height: 220,
    data: { values: points.map((p) => ({ ...p })) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'supernet epoch' },
      y: { field: 'tau', type: 'quantitative', title: 'Kendall tau' },
      color: { field: 'metric', type: 'nominal' },
    },
  };
}

/**
 * A cell drawn as a graph: nodes placed by the caller, one labelled line per
 * edge. Rendered by Vega like the charts.
 */
export function cellGraphSpec(
  nodes: readonly { id: string; x: number; y: number }[],
  edges: readonly { from: string; to: string; op: string }[],
  title: string,
): TopLevelSpec {
  const at = new Map(nodes.map((n) => [n.id, n]));
  const lines = edges.map((e) => {
    const a = at.get(e.from) as { x: number; y: number };
    const b = at.get(e.to) as { x: number; y: number };
    return { x: a.x, y: a.y, x2: b.x, y2: b.y, mx: (a.x + b.x) / 2, my: (a.y + b.y) / 2, op: e.op };
  });
  const scale = { domain: [-0.15, 1.15], nice: false };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 420,
    height: 300,
    layer: [
      {
        data: { values: lines },
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: {
          x: { field: 'x', type: 'quantitative', axis: null, scale },
          y: { field: 'y', type: 'quantitative', axis: null, scale },
          x2: { field: 'x2' },
          y2: { field: 'y2' },
          color: { field: 'op', type: 'nominal', title: 'operator' },
        },
      },
      {
        data: { values: lines },
        mark: { type: 'text', fontSize: 10, dy: -6 },
        encoding: {
          x: { field: 'mx', type: 'quantitative', axis: null, scale },
          y: { field: 'my', type: 'quantitative', axis: null, scale },
          text: { field: 'op' },
        },
      },
      {
        data: { values: nodes.map((n) => ({ ...n })) },
        mark: { type: 'circle', size: 700, color: '#eee', stroke: '#333', opacity: 1 },
        encoding: {
          x: { field: 'x', type: 'quantitative', axis: null, scale },
          y: { field: 'y', type: 'quantitative', axis: null, scale },
        },
      },
      {
        data: { values: nodes.map((n) => ({ ...n })) },
        mark: { type: 'text', fontSize: 13, fontWeight: 'bold' },
        encoding: {
          x: { field: 'x', type: 'quantitative', axis: null, scale },
          y: { field: 'y', type: 'quantitative', axis: null, scale },
          text: { field: 'id' },
        },
      },
    ],
  } as TopLevelSpec;
}
