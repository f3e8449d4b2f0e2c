import { CandidateSet } from '../../src/space/candidates';
import { Rng } from '../../src/util/rng';
import { childAt, samplePositions } from '../../src/rank/children';
import { dropAndCount, operatorScores } from '../../src/rank/operators';
import { formatMeanStd, meanStd } from '../../src/rank/summary';
import { escapeXml, lineChartSvg, niceTicks } from '../../src/rank/svg';
import { trainingGroups } from '../../src/rank/experiment';

const points = [
  { id: 'a', candidates: ['x', 'y', 'z'] },
  { id: 'b', candidates: ['x', 'y'] },
  { id: 'c', candidates: ['x', 'y', 'z', 'w'] },
];
const full = new CandidateSet(points);

describe('children of the rank experiment', () => {
  it('childAt(i) is the i-th child of enumerate()', () => {
    [...full.enumerate()].forEach((arch, i) => expect(childAt(full, i)).toEqual(arch));
  });

  it('samples distinct positions, deterministically, and all of them when asked for more', () => {
    const a = samplePositions(1000, 50, new Rng(3));
    expect(a).toEqual(samplePositions(1000, 50, new Rng(3)));
    expect(new Set(a).size).toBe(50);
    expect(a.every((p, i) => p >= 0 && p < 1000 && (i === 0 || p > a[i - 1]))).toBe(true);
    expect(samplePositions(5, 9, new Rng(0))).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('operator scores and dropping', () => {
  it('averages the scores of the children that contain each operator (hand-computed)', () => {
    const children = [
      ['x', 'x', 'x'],
      ['y', 'x', 'z'],
      ['x', 'y', 'z'],
    ];
    const s = operatorScores(full, children, [1, 2, 4]);
    const get = (point: number, op: string) => s.find((o) => o.point === point && o.op === op)!;
    expect(get(0, 'x')).toMatchObject({ score: 2.5, children: 2 });
    expect(get(0, 'y')).toMatchObject({ score: 2, children: 1 });
    expect(get(0, 'z')).toMatchObject({ score: -Infinity, children: 0 });
    expect(get(2, 'z')).toMatchObject({ score: 3, children: 2 });
    expect(get(1, 'x').score).toBe(1.5);
  });

  it('never empties a choice point and counts surviving reference operators', () => {
    // scores: point 1 holds the two worst, but one of them must stay
    const scores = full.scorableOperators().map((o) => ({ ...o, score: o.point === 1 ? -10 : o.op === 'x' ? 5 : 0, children: 1 }));
    const out = dropAndCount({ kind: 'global', count: 5 }, scores, full, [
      { point: 0, op: 'x' },
      { point: 1, op: 'y' },
      { point: 2, op: 'w' },
    ]);
    expect(out.dropped).toHaveLength(5);
    expect(out.kept.filter((o) => o.point === 1)).toHaveLength(1);
    expect(out.kept.filter((o) => o.point === 0).map((o) => o.op)).toEqual(['x']);
    // ascending: x@1, y@1 (refused: the last of b), y@0, z@0, y@2, z@2 -> kept x@0, y@1, x@2, w@2
    expect(out.dropped.map((o) => `${o.op}@${o.point}`)).toEqual(['x@1', 'y@0', 'z@0', 'y@2', 'z@2']);
    expect(out.keptOfReference).toBe(3);
  });
});

describe('summaries and the svg writer', () => {
  it('mean and sample standard deviation, NaN left out', () => {
    const m = meanStd([1, 2, 3, NaN]);
    expect(m.mean).toBe(2);
    expect(m.std).toBe(1);
    expect(m.n).toBe(3);
    expect(formatMeanStd(m)).toBe('2.000 ± 1.000');
    expect(formatMeanStd(meanStd([0.5]))).toBe('0.500');
    expect(formatMeanStd(meanStd([]))).toBe('n/a');
  });

  it('writes a chart with one series per metric, ticks and escaped labels', () => {
    expect(niceTicks(-0.1, 0.6)).toEqual([-0.2, 0, 0.2, 0.4, 0.6]);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const svg = lineChartSvg({
      title: 'tau <test>',
      xLabel: 'epoch',
      yLabel: 'tau',
      logX: true,
      series: [
        { label: 'angle', points: [{ x: 2, y: 0.5, err: 0.01 }, { x: 20, y: 0.55 }] },
        { label: 'a&b', points: [{ x: 2, y: NaN }, { x: 20, y: 0.1 }] },
      ],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('tau &lt;test&gt;');
    expect(svg).toContain('data-label="a&amp;b"');
    expect(svg.match(/<g class="series"/g)).toHaveLength(2);
    expect(svg.match(/<polyline/g)).toHaveLength(1);
    expect(svg).toContain('(log scale)');
    expect(escapeXml('"<&>"')).toBe('&quot;&lt;&amp;&gt;&quot;');
  });
});

describe('training groups', () => {
  it('share one supernet among read-only metrics and give each participating metric its own', () => {
    const m = (label: string, participates: boolean) =>
      ({ label, metric: { name: label, prepare: async () => ({ score: () => 0 }), ...(participates ? { participate: () => ({}) } : {}) } }) as never;
    const groups = trainingGroups([m('angle', false), m('magnitude', true), m('random', false)]);
    expect(groups.map((g) => [g.key, g.metrics.map((x: { label: string }) => x.label)])).toEqual([
      ['uniform', ['angle', 'random']],
      ['magnitude', ['magnitude']],
    ]);
  });
});
