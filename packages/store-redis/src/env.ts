/**
 * `@1mrc/store-redis/env`: the store the `STORE` setting names, for the examples and CLIs. It
 * loads the Redis client only when `STORE` names Redis, so a server on the in-memory default
 * pays nothing for this import.
 */
import type { EventStore } from '@1mrc/core';
import { redisOptionsFromUrl } from './from-url.js';

/** The store `env.STORE` names (see `redisOptionsFromUrl`), or `undefined` for the in-memory default. */
export async function storeFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<EventStore | undefined> {
  const options = redisOptionsFromUrl(env['STORE']);
  if (options === undefined) return undefined;
  const { createRedisStore } = await import('./store.js');
  return createRedisStore(options);
}
