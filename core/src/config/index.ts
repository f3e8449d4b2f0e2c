export * from './types';
export { type JsonSchema, coreConfigSchema, trainConfigSchema, pluginRefSchema } from './schema';
export {
  type PluginKind,
  type PluginSlot,
  type PluginUse,
  type SchemaPlugin,
  PLUGIN_SLOTS,
  pluginUses,
  composeSchemaWithPlugins,
} from './plugin-slots';
export {
  type LoadedPreset,
  type OriginFn,
  loadPreset,
  parseJsonFile,
  findJsonError,
  displayPath,
  getAtPointer,
  joinPointer,
  escapePointerToken,
} from './load';
export { type Override, applyOverrides, parseOverride } from './overrides';
export {
  type PluginSchema,
  validateConfig,
  validateCoreConfig,
  validatePluginOptions,
  composeSchema,
} from './validate';
