import 'reflect-metadata';
import { container as rootContainer, DependencyContainer } from 'tsyringe';
import { validatePluginOptions } from '../config/validate';
import { HookBus } from '../hooks/hooks';
import { HOOKS } from '../tokens';
import type { AbsnasPlugin } from './plugin';

/**
 * A fresh container holding `plugin` as a run would register it: `options`
 * checked against the plugin's schema with its defaults filled in (a bad
 * option throws a ConfigError), and a HookBus under HOOKS. For a plugin's
 * tests, and for using a component outside a run:
 * `pluginContainer(plugin, { rms: true }).resolve(METRIC)`.
 */
export function pluginContainer<O>(plugin: AbsnasPlugin<O>, options: unknown = {}, hooks: HookBus = new HookBus()): DependencyContainer {
  const checked = validatePluginOptions(options, plugin.name, plugin.schema) as unknown as O;
  return runContainer(hooks, (container) => plugin.register(container, checked));
}

/**
 * A fresh child container with `hooks` under HOOKS, in which `register`
 * lets the plugins register their components: the composition root of a run.
 */
export function runContainer(hooks: HookBus, register: (container: DependencyContainer) => void): DependencyContainer {
  const container = rootContainer.createChildContainer();
  container.registerInstance(HOOKS, hooks);
  register(container);
  return container;
}
