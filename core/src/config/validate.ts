import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { ConfigError } from '../util/errors';
import type { RunConfig } from './types';
import { coreConfigSchema, type JsonSchema } from './schema';
import { type OriginFn, displayPath } from './load';
import { didYouMean } from '../util/did-you-mean';

/** A plugin's options schema, and where in the config its options live (e.g. '/space/options'). */
export interface PluginSchema {
  pointer: string;
  /** The plugin's name, for error messages. */
  plugin: string;
  schema: JsonSchema;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function decodeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/**
 * The schema of `pointer`'s value inside `schema` (following `properties`,
 * and `items` for array indices, which turns `items` into a tuple so that one
 * element can have its own schema).
 */
function schemaAt(root: JsonSchema, pointer: string): JsonSchema {
  let node = root;
  for (const token of pointer.slice(1).split('/').map(decodeToken)) {
    const props = node.properties as Record<string, JsonSchema> | undefined;
    if (props && Object.prototype.hasOwnProperty.call(props, token)) {
      node = props[token];
    } else if (/^(0|[1-9][0-9]*)$/.test(token) && (node.items !== undefined || node.additionalItems !== undefined)) {
      const index = Number(token);
      if (!Array.isArray(node.items)) {
        node.additionalItems = node.items;
        node.items = [];
      }
      const items = node.items as JsonSchema[];
      const rest = (node.additionalItems ?? {}) as JsonSchema;
      while (items.length <= index) items.push(clone(rest));
      node = items[index];
    } else {
      throw new Error(`no place for plugin options at ${pointer}: the config schema has nothing at '${token}'`);
    }
  }
  return node;
}

/**
 * The core config schema with each plugin's options schema placed at its
 * pointer. Each plugin schema gets its own `$id` so that its internal
 * `$ref: '#/...'` keep working once embedded.
 */
export function composeSchema(pluginSchemas: readonly PluginSchema[] = []): JsonSchema {
  const root = clone(coreConfigSchema);
  for (const { pointer, schema } of pluginSchemas) {
    if (!pointer.startsWith('/')) throw new Error(`plugin options pointer must start with '/': ${pointer}`);
    const slash = pointer.lastIndexOf('/');
    const parent = schemaAt(root, pointer.slice(0, slash) || '');
    const key = decodeToken(pointer.slice(slash + 1));
    const props = (parent.properties ?? (parent.properties = {})) as Record<string, JsonSchema>;
    const placeholder = props[key] ?? {};
    const embedded: JsonSchema = clone(schema);
    delete embedded.$schema;
    embedded.$id = `absnas:plugin-options${pointer}`;
    if (embedded.default === undefined && placeholder.default !== undefined) embedded.default = placeholder.default;
    if (embedded.description === undefined && placeholder.description !== undefined) {
      embedded.description = placeholder.description;
    }
    props[key] = embedded;
  }
  return root;
}

const compiled = new Map<string, ValidateFunction>();

function compile(schema: JsonSchema): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: false });
    validate = ajv.compile(schema);
    if (compiled.size > 64) compiled.clear();
    compiled.set(key, validate);
  }
  return validate;
}

// ---------------------------------------------------------------- messages

function shorten(s: string, max = 60): string {
  return s.length > max ? s.slice(0, max - 3) + '...' : s;
}

/** 'string "abc"', 'number 3', 'boolean true', 'null', 'array [1,2]', 'object {...}'. */
function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'number' && !Number.isFinite(v)) return `number ${v} (beyond the largest number, about 1.8e308)`;
  const type = Array.isArray(v) ? 'array' : typeof v;
  return `${type} ${shorten(JSON.stringify(v))}`;
}

/** A value as it would be written in an enum: strings in single quotes. */
function literal(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : shorten(JSON.stringify(v) ?? String(v));
}

function joinPointer(base: string, token: string): string {
  return `${base}/${token.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** The pointer an error is about: the offending key for unknown/missing keys. */
function errorPointer(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return joinPointer(e.instancePath, String(e.params.additionalProperty));
  if (e.keyword === 'required') return joinPointer(e.instancePath, String(e.params.missingProperty));
  return e.instancePath;
}

function kindOf(parentSchema: Record<string, unknown> | undefined): string {
  return parentSchema?.type === 'integer' ? 'an integer' : 'a number';
}

/** What was expected and what was found, for one ajv error. */
function describeError(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  const data = e.data;
  const parent = e.parentSchema as Record<string, unknown> | undefined;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const allowed = Object.keys((parent?.properties as Record<string, unknown> | undefined) ?? {});
      const list = allowed.length ? ` (allowed: ${allowed.join(', ')})` : ' (no keys allowed here)';
      return `unknown key '${key}'${list}${didYouMean(key, allowed)}`;
    }
    case 'required':
      return `missing required key '${String(p.missingProperty)}'`;
    case 'type': {
      const types = (Array.isArray(p.type) ? p.type : String(p.type).split(',')) as string[];
      return `expected ${types.join(' or ')}, got ${describeValue(data)}`;
    }
    case 'enum':
      return `expected one of ${((p.allowedValues as unknown[]) ?? []).map(literal).join(', ')}, got ${literal(data)}`;
    case 'const':
      return `expected ${literal(p.allowedValue)}, got ${literal(data)}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `expected ${kindOf(parent)} ${String(p.comparison)} ${String(p.limit)}, got ${String(data)}`;
    case 'multipleOf':
      return `expected a multiple of ${String(p.multipleOf)}, got ${String(data)}`;
    case 'minLength':
      return Number(p.limit) === 1
        ? `expected a non-empty string, got ${describeValue(data)}`
        : `expected a string of at least ${String(p.limit)} characters, got ${describeValue(data)}`;
    case 'maxLength':
      return `expected a string of at most ${String(p.limit)} characters, got ${describeValue(data)}`;
    case 'pattern':
      return `expected a string matching /${String(p.pattern)}/, got ${describeValue(data)}`;
    case 'format':
      return `expected a ${String(p.format)} string, got ${describeValue(data)}`;
    case 'minItems':
      return `expected at least ${String(p.limit)} item(s), got ${Array.isArray(data) ? data.length : describeValue(data)}`;
    case 'maxItems':
      return `expected at most ${String(p.limit)} item(s), got ${Array.isArray(data) ? data.length : describeValue(data)}`;
    case 'uniqueItems':
      return `expected unique items, got equal items at ${String(p.j)} and ${String(p.i)}`;
    case 'minProperties':
      return `expected at least ${String(p.limit)} key(s), got ${describeValue(data)}`;
    case 'maxProperties':
      return `expected at most ${String(p.limit)} key(s), got ${describeValue(data)}`;
    default:
      return `${e.message ?? `fails '${e.keyword}'`}, got ${describeValue(data)}`;
  }
}

const KEYWORD_RANK: Record<string, number> = {
  additionalProperties: 0,
  type: 1,
  enum: 2,
  const: 2,
  required: 9,
  anyOf: 10,
  oneOf: 10,
  not: 10,
  if: 10,
};

/** The most specific error: the deepest pointer; at equal depth, unknown keys before the rest, then ajv's order. */
function pickError(errors: ErrorObject[]): ErrorObject {
  const depth = (e: ErrorObject): number => errorPointer(e).split('/').length;
  let best = errors[0];
  for (const e of errors.slice(1)) {
    const d = depth(e) - depth(best);
    if (d > 0 || (d === 0 && (KEYWORD_RANK[e.keyword] ?? 5) < (KEYWORD_RANK[best.keyword] ?? 5))) best = e;
  }
  return best;
}

function originOf(origin: OriginFn | string, pointer: string): string {
  return displayPath(typeof origin === 'string' ? origin : origin(pointer));
}

function validateWith(
  schema: JsonSchema,
  raw: unknown,
  origin: OriginFn | string,
  pluginSchemas: readonly PluginSchema[],
): RunConfig {
  const data = raw === undefined ? undefined : clone(raw);
  const validate = compile(schema);
  if (validate(data)) return data as RunConfig;
  const e = pickError(validate.errors ?? []);
  const pointer = errorPointer(e);
  const owner = pluginSchemas.find((s) => pointer === s.pointer || pointer.startsWith(s.pointer + '/'));
  const suffix = owner ? ` [options of plugin ${owner.plugin}]` : '';
  throw new ConfigError(`${originOf(origin, pointer)}: ${pointer || '/'}: ${describeError(e)}${suffix}`);
}

/**
 * Validate a raw config (a preset with overrides applied) against the core
 * schema with each plugin's options schema in place, and return it with
 * every default filled in. `raw` itself is not changed. Throws one
 * ConfigError, `<file>: <pointer>: <expected>, got <found>`, for the most
 * specific problem.
 */
export function validateConfig(
  raw: unknown,
  origin: OriginFn | string,
  pluginSchemas: readonly PluginSchema[] = [],
): RunConfig {
  return validateWith(composeSchema(pluginSchemas), raw, origin, pluginSchemas);
}

/** Validate against the core schema only, plugin options unchecked (to learn which plugins to load). */
export function validateCoreConfig(raw: unknown, origin: OriginFn | string): RunConfig {
  return validateWith(coreConfigSchema, raw, origin, []);
}

/** Validate one plugin's options on their own (defaults applied), e.g. for a plugin used outside a run. */
export function validatePluginOptions(
  options: unknown,
  plugin: string,
  schema: JsonSchema,
  origin: string = plugin,
): Record<string, unknown> {
  const s = clone(schema);
  delete s.$schema;
  const data = options === undefined ? {} : clone(options);
  const validate = compile(s);
  if (validate(data)) return data as Record<string, unknown>;
  const e = pickError(validate.errors ?? []);
  const pointer = errorPointer(e);
  throw new ConfigError(`${displayPath(origin)}: ${pointer || '/'}: ${describeError(e)} [options of plugin ${plugin}]`);
}
