import type { KindTemplate, TemplateContext } from './context';

/** A searcher: random search scored by BN-recalibrated validation accuracy with inherited weights. */
export function searcherTemplate(t: TemplateContext): KindTemplate {
  const source = `/**
 * ${t.packageName}: random search for absnas.
 *
 * Trains one weight-sharing supernet over the candidate set (the ABS-shrunk
 * space, or the whole one) with one uniformly sampled path per step, then
 * draws \`samples\` distinct children uniformly from the candidate set, rates
 * each by its validation accuracy with inherited weights after batch-norm
 * recalibration (every child recalibrated on the same training batches, so
 * the scores are comparable) and returns the best.
 */
import {
  Architecture,
  definePlugin,
  evaluateChild,
  Rng,
  SEARCHER,
  SearchContext,
  Searcher,
  SearchResult,
  SupernetTrainer,
  TrainConfig,
  trainConfigSchema,
} from '@absnas/core';

export interface RandomSearchOptions {
  /** Supernet training epochs before sampling. */
  epochs: number;
  /** Distinct children to sample and rate (fewer when the candidate set is smaller). */
  samples: number;
  train: TrainConfig;
  /** Training batches for batch-norm recalibration before each child is rated (0 = keep the running statistics). */
  recalibrationBatches: number;
  /** Batch size of recalibration and evaluation. */
  evalBatchSize: number;
}

export class RandomSearcher implements Searcher {
  readonly name = '${t.shortName}';
  /** Any single-path space will do. */
  readonly requirements = {};

  constructor(private readonly options: RandomSearchOptions) {}

  async search(ctx: SearchContext): Promise<SearchResult> {
    const { space, candidates, data, hooks, progress } = ctx;
    const o = this.options;
    const supernet = space.createSupernet(data.input, ctx.rng.fork('supernet'));
    try {
      await hooks.series('onSupernetBuilt', { phase: 'search', space, supernet, candidates });
      // given the context (the run's services), the trainer saves its state in the run's checkpoints and a killed run resumes mid-training
      const trainer = new SupernetTrainer(supernet, { data, train: o.train, rng: ctx.rng.fork('train'), phase: 'search' }, ctx);
      progress.log('${t.shortName}: training the supernet over ' + candidates.size() + ' children for ' + o.epochs + ' epoch(s)');
      await trainer.train(o.epochs, o.epochs, (rng) => [space.sample(candidates, rng)]);
      trainer.dispose();

      // distinct children, uniformly over what remains
      const rng = ctx.rng.fork('sample');
      const wanted = Math.min(o.samples, candidates.size());
      const children = new Map<string, Architecture>();
      for (let tries = 0; children.size < wanted && tries < 100 * wanted; tries++) {
        const arch = space.sample(candidates, rng);
        children.set(arch.join('|'), arch);
      }

      const evalSeed = ctx.rng.fork('eval').nextUint32();
      const evalOptions = { recalibrationBatches: o.recalibrationBatches, batchSize: o.evalBatchSize };
      const rated: { arch: Architecture; valAccuracy: number }[] = [];
      const task = progress.start('${t.shortName}: rating children', children.size);
      for (const arch of children.values()) {
        const valAccuracy = await evaluateChild(supernet, arch, data, data.val, evalOptions, new Rng(evalSeed));
        rated.push({ arch, valAccuracy });
        task.tick();
      }
      task.done();
      // a stable sort: of equally good children, the first sampled wins
      rated.sort((a, b) => b.valAccuracy - a.valAccuracy);
      const best = rated[0];
      ctx.emit({ event: 'randomSearch', evaluated: rated.length, best: space.format(best.arch), valAccuracy: best.valAccuracy });
      return {
        architecture: best.arch,
        metrics: { valAccuracy: best.valAccuracy, childrenEvaluated: rated.length, supernetEpochs: trainer.epochsDone },
        cost: space.cost(best.arch, data.input),
        history: {
          training: [...trainer.epochHistory],
          children: rated.map((r) => ({ architecture: space.format(r.arch), valAccuracy: r.valAccuracy })),
        },
      };
    } finally {
      supernet.dispose();
    }
  }
}

export const plugin = definePlugin<RandomSearchOptions>({
  name: '${t.packageName}',
  apiVersion: '${t.apiVersion}',
  kind: 'searcher',
  description: 'Random search: uniform single-path supernet training, then the best of N random children by BN-recalibrated validation accuracy.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      epochs: { type: 'integer', minimum: 0, default: 10, description: 'supernet training epochs' },
      samples: { type: 'integer', minimum: 1, default: 50, description: 'distinct random children to rate' },
      train: trainConfigSchema,
      recalibrationBatches: { type: 'integer', minimum: 0, default: 20, description: 'BN recalibration batches per child' },
      evalBatchSize: { type: 'integer', minimum: 1, default: 256 },
    },
  },
  register(container, options) {
    container.register(SEARCHER, { useValue: new RandomSearcher(options) });
  },
});

export default plugin;
`;

  const test = `import { PLUGIN_API_VERSION, pluginContainer, SEARCHER } from '@absnas/core';
import plugin, { RandomSearcher } from '../src/index';

describe('${t.packageName}', () => {
  it('is a searcher plugin for this absnas', () => {
    expect(plugin.kind).toBe('searcher');
    expect(plugin.apiVersion.split('.')[0]).toBe(PLUGIN_API_VERSION.split('.')[0]);
  });

  it('registers a random searcher, with defaults for every option', () => {
    const searcher = pluginContainer(plugin, { samples: 5 }).resolve(SEARCHER);
    expect(searcher).toBeInstanceOf(RandomSearcher);
    expect(searcher.name).toBe('${t.shortName}');
    expect(searcher.requirements).toEqual({});
  });

  it('refuses a bad option with a message naming it', () => {
    expect(() => pluginContainer(plugin, { samples: 0 })).toThrow(/samples/);
    expect(() => pluginContainer(plugin, { sample: 5 })).toThrow(/unknown key 'sample'/);
  });
});
`;

  const preset = {
    name: `${t.shortName}-demo`,
    description: `ABS (angle) on the NAS-Bench-201 space at tiny width, synthetic data; then ${t.packageName} over the shrunk space. Seconds on a laptop.`,
    seed: 0,
    data: { dataset: 'synthetic', trainSize: 256, valSize: 64, testSize: 64 },
    space: { plugin: '@absnas/space-nb201', options: { channels: 4, cellsPerStage: 1 } },
    shrink: {
      enabled: true,
      metric: { plugin: '@absnas/metric-angle', options: {} },
      threshold: 8000,
      policy: { kind: 'global', count: 4 },
      epochsBeforeFirstRound: 1,
      enumerateUpTo: 0,
      childrenPerOperator: 4,
      maxRounds: 2,
      train: { batchSize: 32, learningRate: 0.05 },
    },
    search: {
      plugin: '..',
      options: { epochs: 1, samples: 6, train: { batchSize: 32, learningRate: 0.05 }, recalibrationBatches: 1, evalBatchSize: 64 },
    },
  };

  return {
    source,
    test,
    preset,
    slot: 'search',
    uses: ['@absnas/space-nb201', '@absnas/metric-angle'],
    summary: 'random search over the (ABS-shrunk) space, children rated by BN-recalibrated validation accuracy',
    readme: `## What it does

\`RandomSearcher\` trains one weight-sharing supernet over the candidate set it
is given (ABS's shrunk space, or the whole space when shrinking is off) with
core's \`SupernetTrainer\`, one uniformly sampled path per step. It then draws
\`samples\` distinct children and rates each with core's \`evaluateChild\`:
validation accuracy with inherited weights after batch-norm recalibration on
the same training batches for every child. The best child is the result.

Options: \`epochs\`, \`samples\`, \`train\` (core's SGD settings),
\`recalibrationBatches\`, \`evalBatchSize\`. A preset selects it with

\`\`\`json
"search": { "plugin": "${t.packageName}", "options": { "epochs": 10, "samples": 50 } }
\`\`\`
`,
  };
}
