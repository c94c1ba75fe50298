/**
 * `@1mrc/store-redis`: the challenge's stats on Redis or Valkey, exact (the sum is kept in
 * integers, rounded by core), atomic (one script per write) and durable (AOF). See docs/redis.md.
 *
 * @example
 * ```ts
 * import { serve } from '@1mrc/adapter-uws';
 * import { createRedisStore } from '@1mrc/store-redis';
 * await serve({ store: createRedisStore({ url: 'redis://127.0.0.1:6379' }) });
 * ```
 */
import type { EventStore } from '@1mrc/core';
import { redisOptionsFromUrl } from './from-url.js';
import { createRedisStore } from './store.js';

export { redisOptionsFromUrl } from './from-url.js';
export { shardOf, shardTag } from './keys.js';
export type { RedisNode, RedisStoreOptions, ResolvedOptions } from './options.js';
export { createStoreFromSpec } from './spec.js';
export { createRedisStore, type RedisStore, type StoreSpec } from './store.js';

/** The store `STORE` names (see `redisOptionsFromUrl`), or `undefined` for the in-memory default. */
export function storeFromUrl(store: string | undefined): EventStore | undefined {
  const options = redisOptionsFromUrl(store);
  return options === undefined ? undefined : createRedisStore(options);
}

export { storeFromEnv } from './env.js';
