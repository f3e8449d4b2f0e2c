import { ConfigError, visitTensorValues } from '@absnas/core';
import type { Architecture, ChildScorer, Metric, MetricContext, WeightLayout } from '@absnas/core';

/** Inner product and squared norms of one weight segment between W0 and Wt. */
export interface SegmentStats {
  dot: number;
  base: number;
  current: number;
}

/** Float64 statistics of two equally long vectors. */
export function segmentStats(w0: Float32Array, wt: Float32Array): SegmentStats {
  if (w0.length !== wt.length) throw new Error(`segment lengths differ: ${w0.length} vs ${wt.length}`);
  let dot = 0;
  let base = 0;
  let current = 0;
  for (let i = 0; i < w0.length; i++) {
    const a = w0[i];
    const b = wt[i];
    dot += a * b;
    base += a * a;
    current += b * b;
  }
  return { dot, base, current };
}

/** arccos of the cosine similarity, in radians; 0 for an empty or zero vector. */
export function angleFromStats(s: SegmentStats): number {
  const denom = Math.sqrt(s.base * s.current);
  if (!(denom > 0)) return 0;
  return Math.acos(Math.min(1, Math.max(-1, s.dot / denom)));
}

/**
 * How a child whose every path is cut is scored: `zero` (absnas's choice: the
 * worst, angle 0) or `fixed-parts` (the reference's cal_correlation.py: no
 * special case, so its V is the fixed parts alone and it gets their angle).
 */
export const ALL_CUT_MODES = ['zero', 'fixed-parts'] as const;
export type AllCutMode = (typeof ALL_CUT_MODES)[number];

export interface AngleOptions {
  allCut: AllCutMode;
}

/**
 * Where layoutAngle finds the statistics of a parameter: a function, or a
 * map that holds every parameter the layouts name (looked up directly, with
 * no call per segment).
 */
export type StatsSource = ((param: string) => SegmentStats) | ReadonlyMap<string, SegmentStats>;

/**
 * The angle of a child from its weight layout, summing per-segment statistics
 * (a segment repeated in the layout counts as often as it appears). The long
 * concatenated vectors are never built.
 */
export function layoutAngle(layout: WeightLayout, stats: StatsSource, allCut: AllCutMode = 'zero'): number {
  if (layout.allPathsCut && allCut === 'zero') return 0;
  const statsOf = typeof stats === 'function' ? stats : undefined;
  const statsMap = typeof stats === 'function' ? undefined : stats;
  // plain locals and an indexed loop: this runs for every segment of every child
  let dot = 0;
  let base = 0;
  let current = 0;
  const segments = layout.segments;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if ('param' in seg) {
      const s = statsMap !== undefined ? statsMap.get(seg.param) : (statsOf as (param: string) => SegmentStats)(seg.param);
      if (s === undefined) throw new Error(`angle metric: parameter '${seg.param}' has no base weights`);
      dot += s.dot;
      base += s.base;
      current += s.current;
    } else {
      // a constant pseudo-weight (pooling) is equal in W0 and Wt: norm, no angle
      const sq = seg.constant * seg.constant * seg.size;
      dot += sq;
      base += sq;
      current += sq;
    }
  }
  return angleFromStats({ dot, base, current });
}

/** ABS's metric: larger angle between V(W0) and V(Wt) = better child. */
export class AngleMetric implements Metric {
  readonly name = 'angle';
  readonly options: AngleOptions;

  constructor(options?: Partial<AngleOptions>) {
    const allCut = options?.allCut ?? 'zero';
    if (!(ALL_CUT_MODES as readonly string[]).includes(allCut)) {
      throw new ConfigError(`metric-angle: option 'allCut' must be one of ${ALL_CUT_MODES.join(', ')}, got ${JSON.stringify(allCut)}`);
    }
    this.options = { allCut };
  }

  async prepare(ctx: MetricContext): Promise<ChildScorer> {
    // the statistics of every parameter with a base, from Wt where it lies (asynchronously:
    // webgpu in Node reads no other way); each child's angle is then one sum over its layout
    const stats = new Map<string, SegmentStats>();
    await visitTensorValues(
      [...ctx.base.keys()].map((param) => [param, ctx.supernet.store.get(param)]),
      (param, wt) => stats.set(param, segmentStats(ctx.base.get(param) as Float32Array, wt)),
    );
    const allCut = this.options.allCut;
    return {
      score: (arch: Architecture) => layoutAngle(ctx.space.weightLayout(arch), stats, allCut),
      dispose: () => stats.clear(),
    };
  }
}
