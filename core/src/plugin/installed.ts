import * as fs from 'fs';
import * as path from 'path';

/**
 * The npm keyword that marks a package as an absnas plugin. `absnas list`
 * and `absnas config schema` find installed plugins by it, and it makes
 * plugins findable on the registry (`npm search keywords:absnas-plugin`).
 */
export const PLUGIN_KEYWORD = 'absnas-plugin';

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

/** An installed package whose package.json carries the plugin keyword (not loaded). */
export interface PluginManifest {
  name: string;
  version: string;
  /** The package directory (symbolic links resolved). */
  dir: string;
  description?: string;
  /** Where it was found: node_modules/<name>. */
  where: string;
}

/**
 * The packages marked as absnas plugins where `require` would find them from
 * each of `from` (default: the working directory, then this absnas
 * installation); when a package is found in several places, the nearest one
 * wins, as it would for `require`. Read from package.json files only.
 */
export function pluginManifests(from: readonly string[] = [process.cwd(), __dirname]): PluginManifest[] {
  const seen = new Map<string, PluginManifest>();
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
        seen.set(manifest.name, {
          name: manifest.name,
          version: typeof manifest.version === 'string' ? manifest.version : '0.0.0',
          dir: real,
          description: typeof manifest.description === 'string' ? manifest.description : undefined,
          where: path.join(nm, manifest.name),
        });
      }
    }
  }
  return [...seen.values()];
}
