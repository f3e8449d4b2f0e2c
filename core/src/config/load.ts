import * as fs from 'fs';
import * as path from 'path';
import { ConfigError } from '../util/errors';
import { didYouMean } from '../util/did-you-mean';

/** Tells which preset file (or `--set`) gave the value at a JSON pointer. */
export type OriginFn = (pointer: string) => string;

export interface LoadedPreset {
  /** The merged preset, `extends` applied and removed; not yet validated. */
  raw: Record<string, unknown>;
  /** Every preset file read, absolute, in the order they were applied (the named file last). */
  files: string[];
  /** The file that set the value at `pointer`, or the closest ancestor of it that one set. */
  origin: OriginFn;
}

// ---------------------------------------------------------------- pointers

export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function joinPointer(base: string, token: string | number): string {
  return `${base}/${escapePointerToken(String(token))}`;
}

/** `pointer` and its ancestors, deepest first, ending with '' (the root). */
export function pointerAndAncestors(pointer: string): string[] {
  const out = [pointer];
  let p = pointer;
  while (p !== '') {
    p = p.slice(0, p.lastIndexOf('/'));
    out.push(p);
  }
  return out;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Origins of the nodes of a JSON document: one entry per node that was set,
 * looked up from the pointer towards the root.
 */
export class OriginMap {
  private readonly map = new Map<string, string>();

  set(pointer: string, origin: string): void {
    this.map.set(pointer, origin);
  }

  /** Forget the origins of everything below `pointer` (its value was replaced). */
  clearBelow(pointer: string): void {
    const prefix = pointer + '/';
    for (const key of [...this.map.keys()]) if (key.startsWith(prefix)) this.map.delete(key);
  }

  /** Record `origin` for `pointer` and every node inside `value`. */
  setTree(pointer: string, value: unknown, origin: (pointer: string) => string): void {
    this.map.set(pointer, origin(pointer));
    if (Array.isArray(value)) value.forEach((v, i) => this.setTree(joinPointer(pointer, i), v, origin));
    else if (isPlainObject(value))
      for (const [k, v] of Object.entries(value)) this.setTree(joinPointer(pointer, k), v, origin);
  }

  get(pointer: string): string | undefined {
    for (const p of pointerAndAncestors(pointer)) {
      const o = this.map.get(p);
      if (o !== undefined) return o;
    }
    return undefined;
  }
}

// ---------------------------------------------------------------- merging

/** `obj[key] = value` as an own data property (even for a key like `__proto__`). */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function cloneJson<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/**
 * Deep-merge `source` into `target` (objects merge key by key; arrays and
 * scalars replace), recording where each merged node came from.
 */
function mergeInto(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  pointer: string,
  origins: OriginMap,
  sourceOrigin: (pointer: string) => string,
): void {
  origins.set(pointer, sourceOrigin(pointer));
  for (const [key, value] of Object.entries(source)) {
    const p = joinPointer(pointer, key);
    const existing = target[key];
    if (isPlainObject(existing) && isPlainObject(value)) {
      mergeInto(existing, value, p, origins, sourceOrigin);
    } else {
      setOwn(target, key, cloneJson(value));
      origins.clearBelow(p);
      origins.setTree(p, value, sourceOrigin);
    }
  }
}

// ---------------------------------------------------------------- plugin paths

/** The pointers of every `plugin` field of a (raw) config. */
export function pluginFieldPointers(raw: Record<string, unknown>): string[] {
  const out = ['/space/plugin', '/shrink/metric/plugin', '/search/plugin'];
  if (Array.isArray(raw.plugins)) raw.plugins.forEach((_, i) => out.push(`/plugins/${i}/plugin`));
  return out;
}

/** Read the value at a pointer, or undefined. */
export function getAtPointer(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isPlainObject(node)) node = Object.prototype.hasOwnProperty.call(node, token) ? node[token] : undefined;
    else return undefined;
  }
  return node;
}

/**
 * Make relative plugin paths (`./x`, `../x`) absolute against `baseDir`, so
 * that they keep pointing at the same place when another preset, elsewhere,
 * extends this one. Only fields at or below `under` are touched.
 */
export function resolvePluginPaths(raw: Record<string, unknown>, baseDir: string, under = ''): void {
  for (const pointer of pluginFieldPointers(raw)) {
    if (!(pointer === under || pointer.startsWith(under + '/'))) continue;
    const parentPointer = pointer.slice(0, pointer.lastIndexOf('/'));
    const parent = getAtPointer(raw, parentPointer);
    if (!isPlainObject(parent)) continue;
    const value = parent.plugin;
    if (typeof value === 'string' && value.startsWith('.')) parent.plugin = path.resolve(baseDir, value);
  }
}

// ---------------------------------------------------------------- JSON errors

/** Display form of a file name: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  if (!path.isAbsolute(file)) return file;
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Find where and why `text` is not valid JSON (JSON.parse does not always
 * say where). A small recursive-descent scanner; returns null if it finds no
 * error.
 */
export function findJsonError(text: string): { offset: number; message: string } | null {
  let i = 0;
  class Fail {
    constructor(
      readonly offset: number,
      readonly message: string,
    ) {}
  }
  const describe = (at: number): string =>
    at >= text.length ? 'end of file' : `'${text[at] === '\n' ? '\\n' : text[at]}'`;
  const fail = (message: string, at = i): never => {
    throw new Fail(at, `${message}, found ${describe(at)}`);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const literal = (word: string): void => {
    for (let k = 0; k < word.length; k++) if (text[i + k] !== word[k]) fail(`expected '${word}'`, i + k);
    i += word.length;
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape in string', i + 2);
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail('bad escape in string', i + 1);
      } else if (c.charCodeAt(0) < 0x20) fail('control character in string (use an escape)');
      else i++;
    }
  };
  const number = (): void => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (!m || m[0] === '-' || m[0] === '') fail('expected a number');
    i += m![0].length;
    if (i < text.length && /[0-9.eE+-]/.test(text[i])) fail('malformed number');
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a double-quoted property name');
        string();
        ws();
        if (text[i] !== ':') fail("expected ':' after the property name");
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === '}') fail('trailing comma before \'}\'', i);
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail("expected ',' or '}' after the property value");
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === ']') fail("trailing comma before ']'", i);
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail("expected ',' or ']' after the array element");
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    fail('expected a value');
  };
  try {
    if (text.charCodeAt(0) === 0xfeff) i = 1;
    value();
    ws();
    if (i < text.length) fail('unexpected text after the JSON value');
    return null;
  } catch (e) {
    if (e instanceof Fail) return { offset: e.offset, message: e.message };
    throw e;
  }
}

/** Parse JSON, reporting a syntax error as `file:line:column: message`. */
export function parseJsonFile(file: string, text: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    const found = findJsonError(text);
    if (found) {
      const { line, column } = lineColumn(text, found.offset);
      throw new ConfigError(`${displayPath(file)}:${line}:${column}: invalid JSON: ${found.message}`);
    }
    throw new ConfigError(`${displayPath(file)}: invalid JSON: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------- presets

/** The package whose presets are named without a path (`absnas run quickstart`). */
export const PRESETS_PACKAGE = '@absnas/presets';

/** The folder of the installed presets package, seen from `baseDir` and then from absnas itself. */
function presetsDir(baseDir: string): string | undefined {
  try {
    return path.dirname(require.resolve(`${PRESETS_PACKAGE}/package.json`, { paths: [baseDir, __dirname] }));
  } catch {
    return undefined;
  }
}

/** The names of the presets that ship in the presets package (`quickstart`, `paper/nb201-ranking-mini`, ...). */
export function shippedPresetNames(baseDir = process.cwd()): string[] {
  const dir = presetsDir(baseDir);
  if (!dir) return [];
  const out: string[] = [];
  const walk = (sub: string): void => {
    for (const e of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub === '' ? e.name : `${sub}/${e.name}`;
      if (e.isDirectory() && e.name !== 'node_modules') walk(rel);
      else if (e.isFile() && e.name.endsWith('.json') && rel !== 'package.json') out.push(rel.slice(0, -'.json'.length));
    }
  };
  walk('');
  return out.sort();
}

/** A name that may be a shipped preset: no `./`, `../` or absolute path. */
function isPresetName(name: string): boolean {
  return !name.startsWith('.') && !path.isAbsolute(name);
}

/**
 * The file a preset name refers to: the path as given, or with `.json`
 * added; failing that, a name without `./` or `/` (`quickstart`,
 * `paper/nb201-ranking-mini`) is looked up in the installed presets package.
 */
function resolvePresetFile(name: string, baseDir: string): { file?: string; tried: string[] } {
  const withJson = (f: string): string[] => (/\.json$/i.test(f) ? [f] : [f, f + '.json']);
  const tried = withJson(path.resolve(baseDir, name));
  const shipped = isPresetName(name) ? presetsDir(baseDir) : undefined;
  if (shipped) tried.push(...withJson(path.join(shipped, name)));
  for (const candidate of tried) {
    try {
      if (fs.statSync(candidate).isFile()) return { file: candidate, tried };
    } catch {
      // not there; try the next
    }
  }
  return { tried };
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `${typeof v} ${JSON.stringify(v)}`;
}

interface Loaded {
  raw: Record<string, unknown>;
  origins: OriginMap;
}

function loadFile(file: string, stack: string[], files: string[]): Loaded {
  if (stack.includes(file)) {
    const cycle = [...stack.slice(stack.indexOf(file)), file].map(displayPath).join(' -> ');
    throw new ConfigError(`${displayPath(stack[stack.length - 1])}: /extends: presets extend each other in a cycle: ${cycle}`);
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${displayPath(file)}: cannot read preset: ${(e as Error).message}`);
  }
  const own = parseJsonFile(file, text);
  if (!isPlainObject(own)) {
    throw new ConfigError(`${displayPath(file)}: expected a JSON object at the top level, got ${describeValue(own)}`);
  }
  const dir = path.dirname(file);
  resolvePluginPaths(own, dir);

  const ext = own.extends;
  delete own.extends;
  let bases: string[];
  if (ext === undefined) bases = [];
  else if (typeof ext === 'string') bases = [ext];
  else if (Array.isArray(ext) && ext.every((e) => typeof e === 'string')) bases = ext as string[];
  else {
    throw new ConfigError(
      `${displayPath(file)}: /extends: expected a preset path or an array of them, got ${describeValue(ext)}`,
    );
  }

  const raw: Record<string, unknown> = {};
  const origins = new OriginMap();
  const inner = [...stack, file];
  bases.forEach((name, index) => {
    const pointer = typeof ext === 'string' ? '/extends' : `/extends/${index}`;
    if (name === '') throw new ConfigError(`${displayPath(file)}: ${pointer}: expected a preset path, got ""`);
    const { file: baseFile, tried } = resolvePresetFile(name, dir);
    if (!baseFile) {
      throw new ConfigError(
        `${displayPath(file)}: ${pointer}: preset '${name}' not found (looked for ${tried.map(displayPath).join(', ')})`,
      );
    }
    const base = loadFile(baseFile, inner, files);
    mergeInto(raw, base.raw, '', origins, (p) => base.origins.get(p) ?? baseFile);
  });
  mergeInto(raw, own, '', origins, () => file);
  if (!files.includes(file)) files.push(file);
  return { raw, origins };
}

/**
 * Read a JSON preset and the presets it `extends` (a path relative to the
 * extending file, `.json` optional, or an array of them applied in order;
 * a name without a path may be one of the shipped presets).
 * Objects merge key by key, arrays and scalars replace, the extending file
 * wins. Relative plugin paths are made absolute against the file that names
 * them.
 */
export function loadPreset(file: string): LoadedPreset {
  const { file: resolved, tried } = resolvePresetFile(file, process.cwd());
  if (!resolved) {
    const names = isPresetName(file) ? shippedPresetNames() : [];
    const shipped = names.length > 0 ? `; the presets of ${PRESETS_PACKAGE}: ${names.join(', ')}${didYouMean(file.replace(/\.json$/i, ''), names)}` : '';
    throw new ConfigError(`preset not found: ${file} (looked for ${tried.map(displayPath).join(', ')})${shipped}`);
  }
  const files: string[] = [];
  const { raw, origins } = loadFile(resolved, [], files);
  return { raw, files, origin: (pointer: string) => origins.get(pointer) ?? resolved };
}
