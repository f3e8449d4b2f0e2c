import * as path from 'path';
import { closest } from '../util/did-you-mean';
import { PluginError } from '../util/errors';
import type { PluginKind } from '../config/plugin-slots';
import { pluginManifests } from './installed';
import { AbsnasPlugin, PLUGIN_API_VERSION } from './plugin';

function major(version: string): number {
  const m = /^(\d+)(\.\d+)?(\.\d+)?/.exec(version);
  return m ? Number(m[1]) : NaN;
}

function isPathLike(spec: string): boolean {
  return spec.startsWith('.') || path.isAbsolute(spec);
}

/** Why a package name is not a plugin here, with the installed plugin it most likely means. */
function notInstalledHint(spec: string): string {
  const installed = pluginManifests().map((m) => m.name);
  // `spos` for `@absnas/spos`: the same name without its scope
  const unscoped = installed.find((n) => n.replace(/^@[^/]+\//, '') === spec);
  const hint = unscoped ?? closest(spec, installed);
  return hint !== undefined ? `not installed; did you mean '${hint}'?` : `not installed (try: npm install ${spec}; absnas list shows the installed plugins)`;
}

/** A plugin module that throws on require: a missing dependency (often @absnas/core beside a plugin given by path), or its own error. */
function describeLoadError(e: unknown, file: string): string {
  const err = e as NodeJS.ErrnoException;
  const missing = err?.code === 'MODULE_NOT_FOUND' ? /Cannot find module '([^']+)'/.exec(err.message)?.[1] : undefined;
  if (missing !== undefined && !path.isAbsolute(missing) && !missing.startsWith('.')) {
    return (
      `it requires '${missing}', which cannot be found from ${path.dirname(file)}: install it where the plugin is ` +
      `(npm install ${missing.startsWith('@') ? missing.split('/').slice(0, 2).join('/') : missing.split('/')[0]} in the plugin's package)`
    );
  }
  const first = (err instanceof Error ? err.message : String(e)).split('\n')[0];
  return `${first} (in ${file})`;
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
    throw new PluginError(`${where}: unknown plugin '${spec}': ${isPathLike(spec) ? 'no such file or package directory' : notInstalledHint(spec)}`);
  }
  let mod: Record<string, unknown> | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    mod = require(resolved);
  } catch (e) {
    throw new PluginError(`${where}: plugin '${spec}' cannot be loaded: ${describeLoadError(e, resolved)}`);
  }
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
