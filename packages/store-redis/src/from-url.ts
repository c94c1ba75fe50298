/**
 * The one parser of the `STORE` setting the examples, workers and the challenge read:
 *
 * - unset, empty or `memory`: `undefined` (the server's default in-memory store)
 * - `redis://[user:password@]host:port[/db]` or `rediss://…`: a standalone server
 * - `redis+cluster://host1:port1,host2:port2,…`: Cluster seed nodes (`rediss+cluster://` is not
 *   supported yet)
 *
 * Either Redis form takes `?prefix=…&shards=…&commandTimeoutMs=…&connectTimeoutMs=…&retryAfterSeconds=…`.
 */
import type { RedisStoreOptions } from './options.js';

const NUMERIC = [
  'shards',
  'commandTimeoutMs',
  'connectTimeoutMs',
  'retryAfterSeconds',
  'maxGroupEvents',
] as const;

/** The options `STORE` stands for, or `undefined` for the in-memory default. */
export function redisOptionsFromUrl(store: string | undefined): RedisStoreOptions | undefined {
  if (store === undefined || store === '' || store === 'memory') return undefined;
  const scheme = /^([a-z+]+):\/\//.exec(store)?.[1];
  if (scheme !== 'redis' && scheme !== 'rediss' && scheme !== 'redis+cluster') {
    throw new TypeError(
      `Expected STORE to be memory, redis://host:port or redis+cluster://host:port,host:port, got ${JSON.stringify(store)}`,
    );
  }
  const query = store.indexOf('?');
  const base = query === -1 ? store : store.slice(0, query);
  const params = new URLSearchParams(query === -1 ? '' : store.slice(query + 1));
  const extra: Record<string, string | number> = {};
  for (const [name, value] of params) {
    if (name === 'prefix') extra[name] = value;
    else if ((NUMERIC as readonly string[]).includes(name)) {
      const n = Number(value);
      if (value === '' || !Number.isSafeInteger(n)) {
        throw new TypeError(`Expected STORE's ${name} to be an integer, got ${JSON.stringify(value)}`);
      }
      extra[name] = n;
    } else {
      throw new TypeError(`Unknown STORE parameter ${JSON.stringify(name)} in ${JSON.stringify(store)}`);
    }
  }
  if (scheme !== 'redis+cluster') return { url: base, ...extra };
  const hosts = base.slice('redis+cluster://'.length).replace(/\/$/, '');
  const cluster = hosts.split(',').map((hostPort) => {
    const match = /^(\[[^\]]+\]|[^:]+):([0-9]+)$/.exec(hostPort);
    if (!match) {
      throw new TypeError(`Expected host:port in STORE's cluster nodes, got ${JSON.stringify(hostPort)}`);
    }
    return { host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) };
  });
  return { cluster, ...extra };
}
