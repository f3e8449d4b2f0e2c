import * as path from 'path';
import { PluginError } from '../util/errors';
import { AbsnasPlugin, PLUGIN_API_VERSION, PluginKind } from './plugin';

function major(version: string): number {
  const m = /^(\d+)(\.\d+)?(\.\d+)?/.exec(version);
  return m ? Number(m[1]) : NaN;
}

function isPathLike(spec: string): boolean {
  return spec.startsWith('.') || path.isAbsolute(spec);
}

/**
 * Load a plugin by npm package name or by path, and check its contract:
 * the exported object, its kind, and its API version (same major as core).
 * `where` names the config entry that asked for it (for error messages).
 */
export function loadPlugin(spec: string, expectedKind: PluginKind | undefined, where: string): AbsnasPlugin {
  let resolved: string;
  try {
    resolved = isPathLike(spec)
      ? require.resolve(path.resolve(spec))
      : require.resolve(spec, { paths: [process.cwd(), __dirname] });
  } catch {
    const hint = isPathLike(spec) ? 'no such file or package directory' : `not installed (try: npm install ${spec})`;
    throw new PluginError(`${where}: unknown plugin '${spec}': ${hint}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const mod = require(resolved);
  const plugin: unknown = mod?.default ?? mod?.plugin ?? mod;
  const p = plugin as Partial<AbsnasPlugin>;
  const missing = (['name', 'apiVersion', 'kind', 'schema', 'register'] as const).filter((k) => p?.[k] === undefined);
  if (missing.length > 0 || typeof p.register !== 'function') {
    throw new PluginError(
      `${where}: '${spec}' is not an absnas plugin: its export lacks ${missing.length ? missing.join(', ') : 'a register function'} ` +
        `(expected { name, apiVersion, kind, schema, register(container, options) } as default or 'plugin' export)`,
    );
  }
  if (major(String(p.apiVersion)) !== major(PLUGIN_API_VERSION)) {
    throw new PluginError(
      `${where}: plugin '${p.name}' was built for plugin API ${p.apiVersion}, this absnas implements ${PLUGIN_API_VERSION} (major versions must match)`,
    );
  }
  if (expectedKind && p.kind !== expectedKind) {
    throw new PluginError(`${where}: plugin '${p.name}' is a ${p.kind} plugin, a ${expectedKind} plugin is expected here`);
  }
  return plugin as AbsnasPlugin;
}
