/** `absnas plugin new`: a ready-to-build plugin package of each kind. */
export {
  SCAFFOLD_KINDS,
  DEV_TOOLS,
  currentInstallation,
  pluginPackageFiles,
  scaffoldPlugin,
} from './scaffold';
export type { AbsnasInstallation, ScaffoldKind, ScaffoldOptions, ScaffoldResult } from './scaffold';
