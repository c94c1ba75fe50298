/**
 * The adapter behaviour suite on every adapter with the Redis store, standalone and on a
 * 3-master Cluster: one Redis and one Cluster for the file, a fresh key prefix (zero stats) for
 * every store the suite makes; the suite closes each store after its servers.
 */
import { createRedisStore, type RedisStore } from '@1mrc/store-redis';
import {
  ADAPTERS,
  behaviourGaps,
  describeAdapterBehaviour,
  redisForFile,
  skipWithoutRedis,
  testAdapters,
} from '@1mrc/testkit';
import { describe } from 'vitest';

const skip = skipWithoutRedis();

const files = redisForFile(skip);
const TARGETS = files.targets;
let prefixes = 0;

for (const [target, base] of TARGETS) {
  for (const name of testAdapters) {
    describe.skipIf(skip)(`behaviour on Redis (${target})`, () => {
      describeAdapterBehaviour(
        {
          name: `${name} on Redis (${target})`,
          serve: ADAPTERS[name],
          refusesChunked: name === 'uws',
          knownGaps: behaviourGaps(name, true),
        },
        {
          store: async (): Promise<RedisStore> => {
            const store = createRedisStore({ ...base(), prefix: `b${process.pid}.${prefixes++}:` });
            await store.ready();
            return store;
          },
        },
      );
    });
  }
}
