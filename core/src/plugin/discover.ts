import { composeSchema } from '../config/validate';
import { pluginManifests } from './installed';
import { loadPlugin } from './loader';
import type { AbsnasPlugin, JsonSchema, PluginKind } from './plugin';

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

/** A plugin as the composed schema needs it: the names a config may use for it, its kind and options schema. */
export interface SchemaPlugin {
  /** What `plugin` may say to name it: the package name (and the plugin's own name, if different). */
  names: readonly string[];
  kind: PluginKind;
  schema: JsonSchema;
}

function hasLocalRef(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasLocalRef);
  if (v && typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>).some(
      ([k, x]) => (k === '$ref' && typeof x === 'string' && x.startsWith('#')) || hasLocalRef(x),
    );
  }
  return false;
}

/**
 * The core config schema in which every plugin slot (`space`, `shrink.metric`,
 * `search`, each of `plugins`) checks its `options` against the options
 * schema of the plugin its `plugin` names, for each of `plugins` (draft-07
 * `if`/`then`). A slot naming a plugin not in the list keeps open options.
 * Editors can validate presets against it (`"$schema"` in a preset).
 */
export function composeSchemaWithPlugins(plugins: readonly SchemaPlugin[]): JsonSchema {
  const root = composeSchema([]);
  const props = root.properties as Record<string, JsonSchema>;
  const shrinkProps = props.shrink.properties as Record<string, JsonSchema>;
  const slots: { at: string; ref: JsonSchema; kinds?: PluginKind[] }[] = [
    { at: '/space', ref: props.space, kinds: ['space'] },
    { at: '/shrink/metric', ref: shrinkProps.metric, kinds: ['metric'] },
    { at: '/search', ref: props.search, kinds: ['searcher'] },
    // the run accepts a plugin of any kind among the extensions, as here
    { at: '/plugins/items', ref: props.plugins.items as JsonSchema },
  ];
  for (const { at, ref, kinds } of slots) {
    const fits = plugins.filter((p) => !kinds || kinds.includes(p.kind));
    if (fits.length === 0) continue;
    const pluginProp = (ref.properties as Record<string, JsonSchema>).plugin;
    pluginProp.examples = [...new Set(fits.flatMap((p) => p.names))];
    ref.allOf = fits.map((p) => {
      const options: JsonSchema = JSON.parse(JSON.stringify(p.schema));
      delete options.$schema;
      // its own base URI, unique per slot, keeps the plugin's `$ref: '#/...'` pointing into its own schema
      if (hasLocalRef(options)) options.$id = `absnas:plugin-options${at}/${encodeURIComponent(p.names[0])}`;
      const names = [...new Set(p.names)];
      return {
        if: {
          required: ['plugin'],
          properties: { plugin: names.length === 1 ? { const: names[0] } : { enum: names } },
        },
        then: { properties: { options } },
      };
    });
  }
  return root;
}

/** The schema for `plugins` as discovered: those that loaded, by package name (and plugin name). */
export function schemaPluginsOf(installed: readonly InstalledPlugin[]): SchemaPlugin[] {
  return installed
    .filter((p): p is InstalledPlugin & { plugin: AbsnasPlugin } => p.plugin !== undefined)
    .map((p) => ({ names: [p.package, p.plugin.name], kind: p.plugin.kind, schema: p.plugin.schema }));
}
