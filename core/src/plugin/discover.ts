import * as fs from 'fs';
import * as path from 'path';
import { composeSchema } from '../config/validate';
import { loadPlugin } from './loader';
import type { AbsnasPlugin, JsonSchema, PluginKind } from './plugin';

/**
 * The npm keyword that marks a package as an absnas plugin. `absnas list`
 * and `absnas config schema` find installed plugins by it, and it makes
 * plugins findable on the registry (`npm search keywords:absnas-plugin`).
 */
export const PLUGIN_KEYWORD = 'absnas-plugin';

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

/** `dir`/node_modules and those of every ancestor of `dir`, nearest first (as `require` looks). */
export function nodeModulesChain(dir: string): string[] {
  const out: string[] = [];
  let d = path.resolve(dir);
  for (;;) {
    if (path.basename(d) !== 'node_modules') out.push(path.join(d, 'node_modules'));
    const parent = path.dirname(d);
    if (parent === d) return out;
    d = parent;
  }
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Package directories directly inside a node_modules folder (scoped ones included). */
function packageDirs(nodeModules: string): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(nodeModules);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries.sort()) {
    if (e.startsWith('.')) continue;
    const full = path.join(nodeModules, e);
    if (e.startsWith('@')) {
      let scoped: string[] = [];
      try {
        scoped = fs.readdirSync(full);
      } catch {
        // not readable: skip the scope
      }
      for (const s of scoped.sort()) if (!s.startsWith('.')) out.push(path.join(full, s));
    } else {
      out.push(full);
    }
  }
  return out;
}

/** True when a package.json marks its package as an absnas plugin. */
export function isPluginManifest(manifest: Record<string, unknown>): boolean {
  const keywords = manifest.keywords;
  return Array.isArray(keywords) && keywords.includes(PLUGIN_KEYWORD);
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
  const seen = new Map<string, InstalledPlugin>();
  for (const start of from) {
    for (const nm of nodeModulesChain(start)) {
      for (const dir of packageDirs(nm)) {
        const manifest = readJson(path.join(dir, 'package.json'));
        if (!manifest || typeof manifest.name !== 'string' || !isPluginManifest(manifest)) continue;
        if (seen.has(manifest.name)) continue;
        let real = dir;
        try {
          real = fs.realpathSync(dir);
        } catch {
          // a dangling link: keep the path as found
        }
        const found: InstalledPlugin = {
          package: manifest.name,
          version: typeof manifest.version === 'string' ? manifest.version : '0.0.0',
          dir: real,
          description: typeof manifest.description === 'string' ? manifest.description : undefined,
        };
        try {
          found.plugin = loadPlugin(real, undefined, `${path.join(nm, manifest.name)}`);
          found.description = found.plugin.description ?? found.description;
        } catch (e) {
          found.error = e instanceof Error ? e.message : String(e);
        }
        seen.set(manifest.name, found);
      }
    }
  }
  return [...seen.values()].sort((a, b) => a.package.localeCompare(b.package));
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
