import type { SchemaPlugin } from '../config/plugin-slots';
import { pluginManifests } from './installed';
import { loadPlugin } from './loader';
import type { AbsnasPlugin } from './plugin';

export { isPluginManifest, nodeModulesChain, PLUGIN_KEYWORD } from './installed';

/** An installed package carrying the plugin keyword. */
export interface InstalledPlugin {
  /** The npm package name (what a config names it by). */
  package: string;
  version: string;
  /** The package directory (symbolic links resolved). */
  dir: string;
  description?: string;
  /** The loaded plugin; absent when it could not be loaded (see `error`). */
  plugin?: AbsnasPlugin;
  /** Why the plugin could not be loaded (not a plugin, wrong API version, a load error). */
  error?: string;
}

/**
 * The absnas plugins installed where `require` would find them from each of
 * `from` (default: the working directory, then this absnas installation):
 * every package in those node_modules folders whose package.json lists the
 * keyword `absnas-plugin`. Each is loaded and checked like a plugin named in
 * a config; one that fails keeps its error instead. When a package is found
 * in several places, the nearest one wins, as it would for `require`.
 */
export function discoverPlugins(from: readonly string[] = [process.cwd(), __dirname]): InstalledPlugin[] {
  const out: InstalledPlugin[] = [];
  for (const m of pluginManifests(from)) {
    const found: InstalledPlugin = { package: m.name, version: m.version, dir: m.dir, description: m.description };
    try {
      found.plugin = loadPlugin(m.dir, undefined, m.where);
      found.description = found.plugin.description ?? found.description;
    } catch (e) {
      found.error = e instanceof Error ? e.message : String(e);
    }
    out.push(found);
  }
  return out.sort((a, b) => a.package.localeCompare(b.package));
}

/** The schema for `plugins` as discovered: those that loaded, by package name (and plugin name). */
export function schemaPluginsOf(installed: readonly InstalledPlugin[]): SchemaPlugin[] {
  return installed
    .filter((p): p is InstalledPlugin & { plugin: AbsnasPlugin } => p.plugin !== undefined)
    .map((p) => ({ names: [p.package, p.plugin.name], kind: p.plugin.kind, schema: p.plugin.schema }));
}
