export * from './types';
export { coreConfigSchema, trainConfigSchema, pluginRefSchema } from './schema';
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
