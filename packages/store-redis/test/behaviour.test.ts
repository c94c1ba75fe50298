/**
 * The adapter behaviour suite on every adapter with the Redis store, standalone and on a
 * 3-master Cluster: one Redis and one Cluster for the file, a fresh key prefix (zero stats) for
 * every store the suite makes; the suite closes each store after its servers.
 */
import { createRedisStore, type RedisStore } from '@1mrc/store-redis';
import {
  ADAPTERS,
  type AdapterName,
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

/**
 * Cases an adapter fails with any asynchronous store, Redis included (the same entries as its
 * own test file), and the one only a shared async store adds.
 */
const KNOWN_GAPS: Readonly<Record<AdapterName, Readonly<Record<string, string>>>> = {
  node: {},
  fastify: {},
  uws: {
    'starts nothing that was pipelined behind a 413: no answer could reach the client':
      'uWS reads past the refused body and answers the request behind it',
    'handles pipelined requests one after another when the store is asynchronous':
      'uWS drops the connection, unanswered, when a second request arrives before an asynchronous store resolved the first',
    // With the in-memory store every reply is synchronous, so this holds in uws.test.ts; on Redis
    // it meets the limit above (docs/redis.md, CONFORMANCE_DIFFERENCES in the test kit).
    'answers pipelined requests in order on one kept-alive connection, across TCP segments':
      'uWS closes a pipelined connection while an async reply is pending',
  },
};

for (const [target, base] of TARGETS) {
  for (const name of testAdapters) {
    describe.skipIf(skip)(`behaviour on Redis (${target})`, () => {
      describeAdapterBehaviour(
        {
          name: `${name} on Redis (${target})`,
          serve: ADAPTERS[name],
          refusesChunked: name === 'uws',
          knownGaps: KNOWN_GAPS[name],
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
