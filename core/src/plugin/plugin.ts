import type { DependencyContainer } from 'tsyringe';
import type { JsonSchema } from '../config/schema';
import type { PluginKind } from '../config/plugin-slots';

// the contract names them; they are the configuration's
export type { JsonSchema } from '../config/schema';
export type { PluginKind } from '../config/plugin-slots';

/** The major version of the plugin API that this core implements (semver). */
export const PLUGIN_API_VERSION = '2.0.0';

/**
 * What a plugin package exports (as `default` or as `plugin`). A plugin
 * registers its component under the token of its kind (SEARCH_SPACE, METRIC,
 * SEARCHER) and may tap hooks through the HOOKS token.
 */
export interface AbsnasPlugin<Options = Record<string, unknown>> {
  name: string;
  /** Semver of the plugin API it was built for; the major must match PLUGIN_API_VERSION's. */
  apiVersion: string;
  kind: PluginKind;
  description?: string;
  /** Schema of this plugin's `options` object in the config. */
  schema: JsonSchema;
  register(container: DependencyContainer, options: Options): void;
}

/** Typed identity helper so plugin authors get checking without importing types. */
export function definePlugin<O>(plugin: AbsnasPlugin<O>): AbsnasPlugin<O> {
  return plugin;
}
