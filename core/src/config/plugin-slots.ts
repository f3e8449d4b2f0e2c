/**
 * Where a run's config names its plugins. Assembly loads one plugin per
 * slot the config fills; the composed config schema checks each slot's
 * options against the schema of the plugin it names. Both read this table.
 */
import { composeSchema } from './validate';
import type { JsonSchema } from './schema';
import type { PluginRef, RunConfig } from './types';

export type PluginKind = 'space' | 'metric' | 'searcher' | 'extension';

export interface PluginSlot {
  /** JSON pointer of the slot's `{ plugin, options }` (of the array, for a slot that holds many). */
  pointer: string;
  /** The kind of plugin it takes; an `extension` slot takes a plugin of any kind (it only taps hooks). */
  kind: PluginKind;
  /** An array of plugin references rather than one. */
  many?: true;
  /** Whether a run loads this slot's plugin (default: always). */
  used?(config: RunConfig): boolean;
}

export const PLUGIN_SLOTS: readonly PluginSlot[] = [
  { pointer: '/space', kind: 'space' },
  { pointer: '/shrink/metric', kind: 'metric', used: (config) => config.shrink.enabled },
  { pointer: '/search', kind: 'searcher' },
  { pointer: '/plugins', kind: 'extension', many: true },
];

/** One plugin a run loads: where the config names it, the kind it must be, and its reference. */
export interface PluginUse {
  pointer: string;
  kind: PluginKind;
  ref: PluginRef;
}

/** The plugins a run of `config` loads, in slot order (the metric only when shrinking is enabled). */
export function pluginUses(config: RunConfig): PluginUse[] {
  const uses: PluginUse[] = [];
  for (const slot of PLUGIN_SLOTS) {
    if (slot.used && !slot.used(config)) continue;
    const value = refAt(config, slot.pointer);
    if (slot.many) (value as PluginRef[]).forEach((ref, i) => uses.push({ pointer: `${slot.pointer}/${i}`, kind: slot.kind, ref }));
    else uses.push({ pointer: slot.pointer, kind: slot.kind, ref: value as PluginRef });
  }
  return uses;
}

function refAt(config: RunConfig, pointer: string): unknown {
  return pointer
    .slice(1)
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
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

/** The schema of one slot's `{ plugin, options }` inside the config schema (the item schema, for a slot of many). */
function slotSchema(root: JsonSchema, slot: PluginSlot): { at: string; ref: JsonSchema } {
  let node = root;
  for (const key of slot.pointer.slice(1).split('/')) node = (node.properties as Record<string, JsonSchema>)[key];
  return slot.many ? { at: `${slot.pointer}/items`, ref: node.items as JsonSchema } : { at: slot.pointer, ref: node };
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
  for (const slot of PLUGIN_SLOTS) {
    const { at, ref } = slotSchema(root, slot);
    // an extension slot accepts a plugin of any kind, as the run does
    const fits = plugins.filter((p) => slot.kind === 'extension' || p.kind === slot.kind);
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
