import type { KindTemplate, TemplateContext } from './context';

/** A metric: the L2 norm (or RMS) of a child's current weights, read through the space's weight layout. */
export function metricTemplate(t: TemplateContext): KindTemplate {
  const source = `/**
 * ${t.packageName}: a weight-norm metric for absnas.
 *
 * The score of a child model is the L2 norm of its weight vector V(child, Wt):
 * the current values of the parameters in the child's weight layout (the
 * segments the search space declares for the angle metric, a segment counted
 * as often as it appears), constant pseudo-weights included. With \`rms\` the
 * norm is divided by the square root of the number of entries. Higher is
 * better; a child whose every path is cut scores 0, the worst.
 */
import { Architecture, ChildScorer, definePlugin, METRIC, Metric, MetricContext, WeightLayout } from '@absnas/core';

export interface WeightNormOptions {
  /** Root mean square instead of the plain L2 norm. */
  rms: boolean;
}

/** Sum of squares and number of entries of one parameter. */
export interface SquareSum {
  sum: number;
  count: number;
}

/** The norm of a child's weight vector from per-parameter sums of squares (the vector is never built). */
export function layoutNorm(layout: WeightLayout, squaresOf: (param: string) => SquareSum, rms: boolean): number {
  if (layout.allPathsCut) return 0;
  let sum = 0;
  let count = 0;
  for (const segment of layout.segments) {
    if ('param' in segment) {
      const s = squaresOf(segment.param);
      sum += s.sum;
      count += s.count;
    } else {
      sum += segment.constant * segment.constant * segment.size;
      count += segment.size;
    }
  }
  return rms ? Math.sqrt(sum / Math.max(count, 1)) : Math.sqrt(sum);
}

export class WeightNormMetric implements Metric {
  readonly name = '${t.shortName}';

  constructor(private readonly options: WeightNormOptions) {}

  async prepare(ctx: MetricContext): Promise<ChildScorer> {
    // once per scoring round: the current weights, read asynchronously (all that some backends allow), and
    // the sums of squares of each parameter, shared by every child
    const weights = await ctx.supernet.store.read();
    const cache = new Map<string, SquareSum>();
    const squaresOf = (param: string): SquareSum => {
      let s = cache.get(param);
      if (!s) {
        const values = weights.get(param);
        if (!values) throw new Error(\`${t.shortName}: no parameter '\${param}'\`);
        let sum = 0;
        for (let i = 0; i < values.length; i++) sum += Number(values[i]) * Number(values[i]);
        s = { sum, count: values.length };
        cache.set(param, s);
      }
      return s;
    };
    return {
      score: (arch: Architecture) => layoutNorm(ctx.space.weightLayout(arch), squaresOf, this.options.rms),
      dispose: () => cache.clear(),
    };
  }
}

export const plugin = definePlugin<WeightNormOptions>({
  name: '${t.packageName}',
  apiVersion: '${t.apiVersion}',
  kind: 'metric',
  description: "The L2 norm (or RMS) of a child model's current weights, through the space's weight layout.",
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      rms: { type: 'boolean', default: false, description: 'divide the norm by the square root of the number of weights' },
    },
  },
  register(container, options) {
    container.register(METRIC, { useValue: new WeightNormMetric(options) });
  },
});

export default plugin;
`;

  const test = `import { METRIC, MetricContext, ParamStore, PLUGIN_API_VERSION, pluginContainer, Rng, selectBackend } from '@absnas/core';
import plugin from '../src/index';

beforeAll(async () => {
  await selectBackend('wasm');
}, 60000);

/** Two parameters, 'a' = four 1s (sum of squares 4) and 'b' = three 2s (12); a child's layout lists its ops as parameters. */
async function scorerFor(options: Record<string, unknown>) {
  const store = new ParamStore(new Rng(0));
  store.constant('a', [2, 2], 1);
  store.constant('b', [3], 2);
  const space = {
    weightLayout: (arch: readonly string[]) => ({ segments: arch.map((param) => ({ param })), allPathsCut: false }),
  };
  const metric = pluginContainer(plugin, options).resolve(METRIC);
  const scorer = await metric.prepare({ space, supernet: { store } } as unknown as MetricContext);
  return { scorer, store };
}

describe('${t.packageName}', () => {
  it('is a metric plugin for this absnas, with defaults for every option', () => {
    expect(plugin.kind).toBe('metric');
    expect(plugin.apiVersion.split('.')[0]).toBe(PLUGIN_API_VERSION.split('.')[0]);
    expect(() => pluginContainer(plugin, { rms: 'yes' })).toThrow(/rms/);
  });

  it('scores a child by the L2 norm of the weights in its layout', async () => {
    const { scorer, store } = await scorerFor({});
    expect(await scorer.score(['a'])).toBeCloseTo(2, 6);
    expect(await scorer.score(['a', 'b'])).toBeCloseTo(4, 6);
    expect(await scorer.score(['a', 'a'])).toBeCloseTo(Math.sqrt(8), 6);
    scorer.dispose?.();
    store.dispose();
  });

  it('divides by the square root of the number of weights with rms', async () => {
    const { scorer, store } = await scorerFor({ rms: true });
    expect(await scorer.score(['a', 'b'])).toBeCloseTo(Math.sqrt(16 / 7), 6);
    scorer.dispose?.();
    store.dispose();
  });
});
`;

  const preset = {
    name: `${t.shortName}-demo`,
    description: `ABS with ${t.packageName} in place of the angle on the NAS-Bench-201 space at tiny width, synthetic data; then SPOS. Seconds on a laptop.`,
    seed: 0,
    data: { dataset: 'synthetic', trainSize: 256, valSize: 64, testSize: 64 },
    space: { plugin: '@absnas/space-nb201', options: { channels: 4, cellsPerStage: 1 } },
    shrink: {
      enabled: true,
      metric: { plugin: '..', options: {} },
      threshold: 8000,
      policy: { kind: 'global', count: 4 },
      epochsBeforeFirstRound: 1,
      enumerateUpTo: 0,
      childrenPerOperator: 4,
      maxRounds: 2,
      train: { batchSize: 32, learningRate: 0.05 },
    },
    search: {
      plugin: '@absnas/spos',
      options: {
        epochs: 1,
        train: { batchSize: 32, learningRate: 0.05 },
        evolution: { population: 4, iterations: 2, topK: 2, crossovers: 2, mutations: 2 },
        recalibrationBatches: 1,
        evalBatchSize: 64,
      },
    },
  };

  return {
    source,
    test,
    preset,
    slot: 'shrink.metric',
    uses: ['@absnas/space-nb201', '@absnas/spos'],
    summary: "a weight-norm metric: the L2 norm of a child's current weights, through the space's weight layout",
    readme: `## What it does

\`WeightNormMetric\` rates a child model by the L2 norm of its weight vector: the
current values of the parameters its search space lists in the child's weight
layout (\`space.weightLayout(arch)\`, the contract the angle metric uses too).
Per-parameter sums of squares are computed once per scoring round in
\`prepare\` and shared by every child. Option \`rms\` (default \`false\`) divides
by the square root of the number of weights.

ABS uses it in place of the angle when a preset names it:

\`\`\`json
"shrink": { "metric": { "plugin": "${t.packageName}", "options": { "rms": true } } }
\`\`\`
`,
  };
}
