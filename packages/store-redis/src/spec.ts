/** What a worker thread or process imports to build its own store from a `StoreSpec`. */
import type { RedisStoreOptions } from './options.js';
import { createRedisStore, type RedisStore } from './store.js';

export function createStoreFromSpec(options: RedisStoreOptions): RedisStore {
  return createRedisStore(options);
}
