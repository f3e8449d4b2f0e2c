import { ConfigError } from '../util/errors';
import {
  type OriginFn,
  isPlainObject,
  joinPointer,
  pointerAndAncestors,
  resolvePluginPaths,
  setOwn,
} from './load';

export interface Override {
  /** The `--set` argument as given. */
  text: string;
  /** The path, split on dots. */
  path: string[];
  pointer: string;
  value: unknown;
}

/**
 * Parse one `--set a.b.c=value`. The value is JSON when it parses as JSON
 * (numbers, booleans, null, arrays, objects, quoted strings), else the text
 * itself as a string.
 */
export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  if (eq < 0) throw new ConfigError(`--set ${text}: expected path=value (e.g. shrink.threshold=1000)`);
  const pathText = text.slice(0, eq).trim();
  if (pathText === '') throw new ConfigError(`--set ${text}: empty path before '=' (expected path=value)`);
  const path = pathText.split('.');
  if (path.some((k) => k === '')) throw new ConfigError(`--set ${text}: empty key in path '${pathText}'`);
  const bad = path.find((k) => k === '__proto__' || k === 'constructor' || k === 'prototype');
  if (bad !== undefined) throw new ConfigError(`--set ${text}: key '${bad}' is not allowed`);
  const valueText = text.slice(eq + 1);
  let value: unknown;
  try {
    value = JSON.parse(valueText);
  } catch {
    value = valueText;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new ConfigError(`--set ${text}: ${valueText.trim()} is beyond the largest number (about 1.8e308)`);
  }
  const pointer = path.reduce((p, k) => joinPointer(p, k), '');
  return { text, path, pointer, value };
}

const INDEX = /^(0|[1-9][0-9]*)$/;

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

function setPath(root: Record<string, unknown>, o: Override): void {
  let node: unknown = root;
  for (let k = 0; k < o.path.length; k++) {
    const key = o.path[k];
    const last = k === o.path.length - 1;
    const here = o.path.slice(0, k).reduce((p, s) => joinPointer(p, s), '') || '/';
    let next: unknown;
    if (Array.isArray(node)) {
      if (!INDEX.test(key)) {
        throw new ConfigError(`--set ${o.text}: ${here} is an array, expected an index instead of '${key}'`);
      }
      const index = Number(key);
      if (index > node.length) {
        throw new ConfigError(
          `--set ${o.text}: ${here} has ${node.length} element(s); index ${index} would leave a gap`,
        );
      }
      if (last) {
        node[index] = o.value;
        return;
      }
      next = node[index];
      if (next === undefined || next === null) {
        next = INDEX.test(o.path[k + 1]) ? [] : {};
        node[index] = next;
      }
    } else if (isPlainObject(node)) {
      if (last) {
        setOwn(node, key, o.value);
        return;
      }
      next = Object.prototype.hasOwnProperty.call(node, key) ? node[key] : undefined;
      if (next === undefined || next === null) {
        next = INDEX.test(o.path[k + 1]) ? [] : {};
        setOwn(node, key, next);
      }
    } else {
      throw new ConfigError(`--set ${o.text}: ${here} is ${typeName(node)}, cannot set '${key}' inside it`);
    }
    node = next;
  }
}

/**
 * Apply `--set path=value` overrides, in order, to a copy of `raw`. Returns
 * the new raw config and an origin function that names the `--set` for the
 * values it set (and everything below them), and defers to `origin` (the
 * preset's) for the rest. Relative plugin paths set here are made absolute
 * against the working directory.
 */
export function applyOverrides(
  raw: Record<string, unknown>,
  sets: readonly string[],
  origin: OriginFn = () => '<config>',
): { raw: Record<string, unknown>; origin: OriginFn } {
  const out = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
  const applied = sets.map(parseOverride);
  for (const o of applied) {
    setPath(out, o);
    resolvePluginPaths(out, process.cwd(), o.pointer);
  }
  const byPointer = new Map<string, string>();
  for (const o of applied) byPointer.set(o.pointer, `--set ${o.text}`);
  const combined: OriginFn = (pointer) => {
    // the latest --set at or above the pointer wins, since it replaced what was there
    let best: string | undefined;
    let bestIndex = -1;
    for (const p of pointerAndAncestors(pointer)) {
      if (!byPointer.has(p)) continue;
      const index = applied.map((o) => o.pointer).lastIndexOf(p);
      if (index > bestIndex) {
        bestIndex = index;
        best = byPointer.get(p);
      }
    }
    return best ?? origin(pointer);
  };
  return { raw: out, origin: combined };
}
