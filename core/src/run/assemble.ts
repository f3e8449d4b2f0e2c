import 'reflect-metadata';
import type { DependencyContainer } from 'tsyringe';
import { displayPath, type OriginFn } from '../config/load';
import { validateConfig, validateCoreConfig } from '../config/validate';
import { pluginUses, type PluginUse } from '../config/plugin-slots';
import type { RunConfig } from '../config/types';
import { HookBus } from '../hooks/hooks';
import type { Metric } from '../metric/metric';
import { runContainer } from '../plugin/container';
import { loadPlugin } from '../plugin/loader';
import type { AbsnasPlugin } from '../plugin/plugin';
import type { Searcher } from '../search/searcher';
import { unmetRequirement } from '../space/requirements';
import type { SearchSpace } from '../space/search-space';
import { METRIC, SEARCH_SPACE, SEARCHER } from '../tokens';
import { ConfigError } from '../util/errors';

/** A run's components, resolved from one container (the composition root). */
export interface Assembly {
  config: RunConfig;
  container: DependencyContainer;
  hooks: HookBus;
  space: SearchSpace;
  /** The space of the shrinking supernet: `space` with shrink.space's options (the same choice points). */
  shrinkSpace: SearchSpace;
  /** Absent when shrinking is disabled. */
  metric?: Metric;
  searcher: Searcher;
  plugins: { pointer: string; plugin: AbsnasPlugin }[];
}

/** Load the plugin a config names in one of its slots; an error names the file and the key. */
export function loadPluginOf(use: PluginUse, origin: OriginFn): AbsnasPlugin {
  const where = `${displayPath(origin(`${use.pointer}/plugin`))}: ${use.pointer}/plugin`;
  return loadPlugin(use.ref.plugin, use.kind === 'extension' ? undefined : use.kind, where);
}

/**
 * Validate the config, load the plugins it names, let each register into a
 * fresh child container, and resolve the run's components from it.
 */
export function assemble(raw: Record<string, unknown>, origin: OriginFn): Assembly {
  const coreChecked = validateCoreConfig(raw, origin);
  const plugins = pluginUses(coreChecked).map((use) => ({ pointer: use.pointer, plugin: loadPluginOf(use, origin) }));
  const config = validateConfig(
    raw,
    origin,
    plugins.map((p) => ({ pointer: `${p.pointer}/options`, plugin: p.plugin.name, schema: p.plugin.schema })),
  );

  const hooks = new HookBus();
  const refs = pluginUses(config);
  const container = runContainer(hooks, (c) => plugins.forEach((p, i) => p.plugin.register(c, refs[i].ref.options)));

  const space = container.resolve(SEARCH_SPACE);
  const metric = config.shrink.enabled ? container.resolve(METRIC) : undefined;
  const searcher = container.resolve(SEARCHER);
  // what the searcher and the metric need of the space, before anything is trained
  const needs = [{ pointer: '/search/plugin', who: `searcher '${searcher.name}'`, requirements: searcher.requirements }];
  if (metric) needs.push({ pointer: '/shrink/metric/plugin', who: `metric '${metric.name}'`, requirements: metric.requirements ?? {} });
  for (const { pointer, who, requirements } of needs) {
    const unmet = unmetRequirement(space, who, requirements);
    if (unmet) throw new ConfigError(`${displayPath(origin(pointer))}: ${pointer}: ${unmet}`);
  }
  if (config.shrunkSpace && config.shrink.enabled) {
    throw new ConfigError(
      `${displayPath(origin('/shrunkSpace'))}: /shrunkSpace: searching a given shrunk space needs shrink.enabled false ` +
        '(or drop shrunkSpace to shrink anew)',
    );
  }
  const { baseWeights, epochsBeforeFirstRound } = config.shrink;
  if (config.shrink.enabled && baseWeights && baseWeights.takeAfterEpochs > epochsBeforeFirstRound) {
    throw new ConfigError(
      `${displayPath(origin('/shrink/baseWeights/takeAfterEpochs'))}: /shrink/baseWeights/takeAfterEpochs: ${baseWeights.takeAfterEpochs} ` +
        `is after the first round is scored (epochsBeforeFirstRound ${epochsBeforeFirstRound}): W0 must be taken before the angle is first used`,
    );
  }
  const shrinkSpace = spaceWithOptions(space, config.shrink.space, origin);
  return { config, container, hooks, space, shrinkSpace, metric, searcher, plugins };
}

/** The space with shrink.space's options (itself when there are none); a space that cannot take them is a config error. */
function spaceWithOptions(space: SearchSpace, options: Record<string, unknown> | undefined, origin: OriginFn): SearchSpace {
  if (!options || Object.keys(options).length === 0) return space;
  const where = `${displayPath(origin('/shrink/space'))}: /shrink/space`;
  if (!space.withOptions) throw new ConfigError(`${where}: space '${space.name}' cannot change its options for the shrinking supernet (withOptions)`);
  try {
    return space.withOptions(options);
  } catch (e) {
    throw new ConfigError(`${where}: ${(e as Error).message}`);
  }
}
