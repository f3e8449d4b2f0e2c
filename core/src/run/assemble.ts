import 'reflect-metadata';
import { container as rootContainer, DependencyContainer } from 'tsyringe';
import { displayPath } from '../config/load';
import { validateConfig, validateCoreConfig } from '../config/validate';
import { pluginUses } from '../config/plugin-slots';
import type { RunConfig } from '../config/types';
import { HookBus } from '../hooks/hooks';
import type { Metric } from '../metric/metric';
import { loadPlugin } from '../plugin/loader';
import type { AbsnasPlugin } from '../plugin/plugin';
import type { Searcher } from '../search/searcher';
import { unmetRequirement } from '../space/requirements';
import type { SearchSpace } from '../space/search-space';
import { HOOKS, METRIC, SEARCH_SPACE, SEARCHER } from '../tokens';
import { ConfigError } from '../util/errors';

/** A run's components, resolved from one container (the composition root). */
export interface Assembly {
  config: RunConfig;
  container: DependencyContainer;
  hooks: HookBus;
  space: SearchSpace;
  /** Absent when shrinking is disabled. */
  metric?: Metric;
  searcher: Searcher;
  plugins: { pointer: string; plugin: AbsnasPlugin }[];
}

/**
 * Validate the config, load the plugins it names, let each register into a
 * fresh child container, and resolve the run's components from it.
 */
export function assemble(raw: Record<string, unknown>, origin: (pointer: string) => string): Assembly {
  const coreChecked = validateCoreConfig(raw, origin);
  const slots = pluginUses(coreChecked);
  const plugins = slots.map((s) => ({
    pointer: s.pointer,
    plugin: loadPlugin(s.ref.plugin, s.kind === 'extension' ? undefined : s.kind, `${displayPath(origin(`${s.pointer}/plugin`))}: ${s.pointer}/plugin`),
  }));
  const config = validateConfig(
    raw,
    origin,
    plugins.map((p) => ({ pointer: `${p.pointer}/options`, plugin: p.plugin.name, schema: p.plugin.schema })),
  );

  const container = rootContainer.createChildContainer();
  const hooks = new HookBus();
  container.registerInstance(HOOKS, hooks);
  const refs = pluginUses(config);
  plugins.forEach((p, i) => p.plugin.register(container, refs[i].ref.options));

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
  return { config, container, hooks, space, metric, searcher, plugins };
}
