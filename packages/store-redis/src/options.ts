/** What `createRedisStore` takes, and the one place every option is checked. */

/** One Cluster seed node. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

export interface RedisStoreOptions {
  /**
   * A standalone server: `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS).
   * Exactly one of `url` and `cluster` is given.
   */
  readonly url?: string;
  /** Seed nodes of a Redis Cluster; the client discovers the rest. */
  readonly cluster?: readonly RedisNode[];
  /** Every key this store reads or writes starts with it. Default `1mrc:`. */
  readonly prefix?: string;
  /**
   * How many shards the state is spread over (each a hash tag, so a Cluster places each on one
   * master). Default 1 on a standalone server, 16 on a Cluster. Every server sharing the data
   * must use the same count: a user lives in the shard its id hashes to.
   */
  readonly shards?: number;
  /** Milliseconds to wait for a connection before giving up on that attempt. Default 2,000. */
  readonly connectTimeoutMs?: number;
  /**
   * Milliseconds a command may take before its outcome is taken as unknown: the request fails
   * with 503 and is not acknowledged. Default 2,000.
   */
  readonly commandTimeoutMs?: number;
  /** Longest pause between reconnection attempts, in milliseconds. Default 1,000. */
  readonly maxReconnectDelayMs?: number;
  /** What `Retry-After` says when the store is unavailable, in whole seconds. Default 1. */
  readonly retryAfterSeconds?: number;
  /** Most events one group-commit call to a shard carries (a bigger batch goes whole). Default 4,096. */
  readonly maxGroupEvents?: number;
  /** Password, when not in `url` (and for every Cluster node). */
  readonly password?: string;
  /** ACL user name, when not in `url`. */
  readonly username?: string;
}

/** The options with every default applied. */
export interface ResolvedOptions {
  readonly url: string | undefined;
  readonly cluster: readonly RedisNode[] | undefined;
  readonly prefix: string;
  readonly shards: number;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly maxReconnectDelayMs: number;
  readonly retryAfterSeconds: number;
  readonly maxGroupEvents: number;
  readonly password: string | undefined;
  readonly username: string | undefined;
}

const KNOWN = new Set([
  'url',
  'cluster',
  'prefix',
  'shards',
  'connectTimeoutMs',
  'commandTimeoutMs',
  'maxReconnectDelayMs',
  'retryAfterSeconds',
  'maxGroupEvents',
  'password',
  'username',
]);

/** Most shards: each `/stats` reads every one. */
export const MAX_SHARDS = 1024;

function quote(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new TypeError(`Expected ${name} to be an integer from ${min} to ${max}, got ${quote(value)}`);
  }
  return value;
}

function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`Expected ${name} to be a non-empty string, got ${quote(value)}`);
  }
  return value;
}

function checkUrl(url: unknown): string {
  if (typeof url !== 'string') throw new TypeError(`Expected url to be a string, got ${quote(url)}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`Expected url to be a redis:// or rediss:// URL, got ${quote(url)}`);
  }
  if ((parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || parsed.hostname === '') {
    throw new TypeError(`Expected url to be a redis:// or rediss:// URL, got ${quote(url)}`);
  }
  return url;
}

function checkNodes(nodes: unknown): RedisNode[] {
  if (!Array.isArray(nodes) || nodes.length === 0) {
    throw new TypeError(`Expected cluster to be a non-empty array of { host, port }, got ${quote(nodes)}`);
  }
  return nodes.map((node: unknown, i) => {
    const { host, port } = (node ?? {}) as { host?: unknown; port?: unknown };
    if (typeof host !== 'string' || host === '' || !Number.isInteger(port) || (port as number) < 1) {
      throw new TypeError(`Expected cluster[${i}] to be { host, port }, got ${quote(node)}`);
    }
    if ((port as number) > 65_535) {
      throw new TypeError(`Expected cluster[${i}].port to be at most 65535, got ${quote(port)}`);
    }
    return { host, port: port as number };
  });
}

/** Checks every option (a `TypeError` quoting the bad value) and applies the defaults. */
export function resolveOptions(options: RedisStoreOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected Redis store options to be an object, got ${quote(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new TypeError(`Unknown Redis store option ${quote(key)}`);
  }
  const { url, cluster } = options;
  if ((url === undefined) === (cluster === undefined)) {
    throw new TypeError(
      `Expected exactly one of url and cluster, got ${url === undefined ? 'neither' : 'both'}`,
    );
  }
  const prefix = options.prefix ?? '1mrc:';
  if (typeof prefix !== 'string' || prefix === '' || /[{}\s]/.test(prefix)) {
    throw new TypeError(
      `Expected prefix to be a non-empty string without braces or spaces, got ${quote(options.prefix)}`,
    );
  }
  return {
    url: url === undefined ? undefined : checkUrl(url),
    cluster: cluster === undefined ? undefined : checkNodes(cluster),
    prefix,
    shards: integer('shards', options.shards, cluster === undefined ? 1 : 16, 1, MAX_SHARDS),
    connectTimeoutMs: integer('connectTimeoutMs', options.connectTimeoutMs, 2000, 1, 600_000),
    commandTimeoutMs: integer('commandTimeoutMs', options.commandTimeoutMs, 2000, 1, 600_000),
    maxReconnectDelayMs: integer('maxReconnectDelayMs', options.maxReconnectDelayMs, 1000, 1, 600_000),
    retryAfterSeconds: integer('retryAfterSeconds', options.retryAfterSeconds, 1, 0, 86_400),
    maxGroupEvents: integer('maxGroupEvents', options.maxGroupEvents, 4096, 1, 1_000_000),
    password: optionalString('password', options.password),
    username: optionalString('username', options.username),
  };
}
