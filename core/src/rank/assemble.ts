import 'reflect-metadata';
import * as fs from 'fs';
import * as path from 'path';
import { container as rootContainer } from 'tsyringe';
import { displayPath, isPlainObject, type OriginFn } from '../config/load';
import type { RankConfig, RankMetricRef, RunConfig } from '../config/types';
import { validateConfig, validateCoreConfig } from '../config/validate';
import { HookBus } from '../hooks/hooks';
import type { Metric } from '../metric/metric';
import { loadPlugin } from '../plugin/loader';
import type { AbsnasPlugin } from '../plugin/plugin';
import { unmetRequirement } from '../space/requirements';
import type { SearchSpace } from '../space/search-space';
import { HOOKS, METRIC, SEARCH_SPACE } from '../tokens';
import { ConfigError } from '../util/errors';

/** One metric of the experiment, resolved. */
export interface RankMetric {
  /** Unique name in tables and plots. */
  label: string;
  ref: RankMetricRef;
  metric: Metric;
  plugin: AbsnasPlugin;
}

export interface RankAssembly {
  config: RunConfig & { rank: RankConfig };
  hooks: HookBus;
  space: SearchSpace;
  metrics: RankMetric[];
  /** The benchmark file, resolved (undefined: the loader's default). */
  benchmarkFile?: string;
}

/** A relative path set in a preset file means relative to that file; elsewhere (--set), to the working directory. */
function resolveFrom(origin: string, value: string): string {
  const from = path.isAbsolute(origin) && fs.existsSync(origin) && fs.statSync(origin).isFile() ? path.dirname(origin) : process.cwd();
  return path.resolve(from, value);
}

function checkEpochs(epochs: readonly number[], origin: string): void {
  for (let i = 1; i < epochs.length; i++) {
    if (epochs[i] <= epochs[i - 1]) {
      throw new ConfigError(`${displayPath(origin)}: /rank/epochs: expected ascending epochs, got [${epochs.join(', ')}]`);
    }
  }
}

/**
 * Validate a config for `absnas rank`, load the space plugin and every
 * metric plugin of `rank.metrics` (each into a container of its own, so the
 * same plugin can appear twice with different options), and resolve them.
 * The searcher and the shrink metric are not loaded: the experiment uses
 * neither.
 */
export function assembleRank(raw: Record<string, unknown>, origin: OriginFn): RankAssembly {
  // `rank` is optional in other runs; here it is the point, with every default
  const rank = raw.rank === undefined ? {} : raw.rank;
  const input: Record<string, unknown> = { ...raw, rank: isPlainObject(rank) ? { ...rank } : rank };
  // relative plugin paths of rank metrics are relative to the preset that names them
  const rankRaw = input.rank as Record<string, unknown>;
  if (isPlainObject(rankRaw) && Array.isArray(rankRaw.metrics)) {
    rankRaw.metrics = rankRaw.metrics.map((m: unknown, i: number) => {
      if (!isPlainObject(m) || typeof m.plugin !== 'string' || !m.plugin.startsWith('.')) return m;
      return { ...m, plugin: resolveFrom(origin(`/rank/metrics/${i}/plugin`), m.plugin) };
    });
  }
  const core = validateCoreConfig(input, origin);
  const where = (pointer: string): string => `${displayPath(origin(pointer))}: ${pointer}`;
  const spacePlugin = loadPlugin(core.space.plugin, 'space', where('/space/plugin'));
  const metricPlugins = core.rank!.metrics.map((r, i) => loadPlugin(r.plugin, 'metric', where(`/rank/metrics/${i}/plugin`)));
  const config = validateConfig(input, origin, [
    { pointer: '/space/options', plugin: spacePlugin.name, schema: spacePlugin.schema },
    ...metricPlugins.map((p, i) => ({ pointer: `/rank/metrics/${i}/options`, plugin: p.name, schema: p.schema })),
  ]) as RunConfig & { rank: RankConfig };
  checkEpochs(config.rank.epochs, origin('/rank/epochs'));
  const lastEpoch = config.rank.epochs[config.rank.epochs.length - 1];
  if (config.rank.horizonEpochs !== undefined && config.rank.horizonEpochs < lastEpoch) {
    throw new ConfigError(
      `${where('/rank/horizonEpochs')}: the schedule must cover the training, expected at least the last epoch ${lastEpoch}, got ${config.rank.horizonEpochs}`,
    );
  }
  const baseAt = config.rank.baseWeights?.takeAfterEpochs ?? 0;
  if (baseAt > 0 && config.rank.epochs[0] <= baseAt) {
    throw new ConfigError(
      `${where('/rank/baseWeights/takeAfterEpochs')}: W0 is taken after epoch ${baseAt}, so every scoring epoch must come after it; ` +
        `got /rank/epochs [${config.rank.epochs.join(', ')}]`,
    );
  }

  const hooks = new HookBus();
  const base = rootContainer.createChildContainer();
  base.registerInstance(HOOKS, hooks);
  const spaceContainer = base.createChildContainer();
  spacePlugin.register(spaceContainer, config.space.options);
  const space = spaceContainer.resolve(SEARCH_SPACE);

  const used = new Map<string, number>();
  const metrics = config.rank.metrics.map((ref, i) => {
    const c = base.createChildContainer();
    metricPlugins[i].register(c, ref.options);
    const metric = c.resolve(METRIC);
    const unmet = unmetRequirement(space, `metric '${metric.name}'`, metric.requirements ?? {});
    if (unmet) throw new ConfigError(`${where(`/rank/metrics/${i}/plugin`)}: ${unmet}`);
    const wanted = ref.label ?? metric.name;
    const n = (used.get(wanted) ?? 0) + 1;
    used.set(wanted, n);
    return { label: n === 1 ? wanted : `${wanted}#${n}`, ref, metric, plugin: metricPlugins[i] };
  });
  const benchmarkFile = config.rank.benchmark !== undefined ? resolveFrom(origin('/rank/benchmark'), config.rank.benchmark) : undefined;
  return { config, hooks, space, metrics, benchmarkFile };
}
