/**
 * Where the queue lives: a Redis URL (redis://, rediss:// for TLS, or
 * unix:///path/to/socket), the connections BullMQ needs, the URL as logs may
 * show it (never with its password), and the check that Redis keeps every
 * key (an evicted job is a lost cell).
 */
import { Redis, type RedisOptions } from 'ioredis';
import { UserError } from '@absnas/core';

/** BullMQ's key prefix and the one queue every matrix shares (jobs name their matrix). */
export const PREFIX = 'absnas';
export const QUEUE_NAME = 'cells';

export interface QueueTarget {
  options: RedisOptions;
  /** The URL with its password replaced by ***: what logs, events and reports may show. */
  display: string;
}

/** `url` with any password replaced by `***`; a string that is no URL is shown as `(queue URL)`. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(queue URL)';
  }
}

/** Every password of `target` cut out of `text` (ioredis's errors may quote what they were given). */
export function scrub(text: string, target: QueueTarget): string {
  const password = target.options.password;
  return password ? text.split(password).join('***') : text;
}

/** Parse `--queue`: a UserError naming what is expected when it is not a Redis URL. */
export function parseQueueUrl(url: string | undefined): QueueTarget {
  const expected = 'expected redis://[:password@]host:port/db, rediss://... (TLS) or unix:///path/to/redis.sock';
  if (!url) throw new UserError(`--queue: no Redis URL given (${expected})`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`--queue: '${redact(url)}' is not a URL (${expected})`);
  }
  const options: RedisOptions = { maxRetriesPerRequest: null, lazyConnect: false };
  if (u.username) options.username = decodeURIComponent(u.username);
  if (u.password) options.password = decodeURIComponent(u.password);
  const db = (s: string): number => {
    const n = s === '' ? 0 : Number(s);
    if (!Number.isInteger(n) || n < 0) throw new UserError(`--queue: database '${s}' of ${redact(url)} is not a number (${expected})`);
    return n;
  };
  if (u.protocol === 'redis:' || u.protocol === 'rediss:') {
    if (!u.hostname) throw new UserError(`--queue: ${redact(url)} names no host (${expected})`);
    options.host = u.hostname.replace(/^\[|\]$/g, '');
    options.port = u.port ? Number(u.port) : 6379;
    options.db = db(u.pathname.replace(/^\//, ''));
    if (u.protocol === 'rediss:') options.tls = { servername: options.host };
  } else if (u.protocol === 'unix:') {
    options.path = u.pathname;
    options.db = db(u.searchParams.get('db') ?? '');
  } else {
    throw new UserError(`--queue: unsupported scheme '${u.protocol}' in ${redact(url)} (${expected})`);
  }
  return { options, display: redact(url) };
}

/**
 * A Redis connection for BullMQ (commands wait through reconnects rather
 * than failing). Its errors go to `say` with the password cut out, each
 * once until the connection is up again, not once per reconnect attempt.
 */
export function connect(target: QueueTarget, say?: (message: string) => void): Redis {
  const redis = new Redis({ ...target.options });
  let last = '';
  redis.on('error', (e: Error) => {
    const message = scrub(e.message, target);
    if (say && message !== last) say(`Redis at ${target.display}: ${message}${last ? '' : ' (retrying)'}`);
    last = message;
  });
  redis.on('ready', () => (last = ''));
  return redis;
}

/**
 * A warning when Redis may evict keys (maxmemory-policy other than
 * noeviction), or when the policy cannot be read (managed Redis may refuse
 * CONFIG); undefined when it is noeviction.
 */
export async function evictionWarning(redis: Redis): Promise<string | undefined> {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const policy = reply[1];
    if (policy === 'noeviction') return undefined;
    return `warning: Redis's maxmemory-policy is '${policy}': under memory pressure it may evict queue keys and lose cells; set maxmemory-policy noeviction (docs/distributed.md)`;
  } catch (e) {
    return `warning: cannot read Redis's maxmemory-policy (${(e as Error).message.split('\n')[0]}); make sure it is noeviction (docs/distributed.md)`;
  }
}
