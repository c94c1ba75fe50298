/**
 * Several servers on different ports (one per adapter) sharing one Redis: events spread over
 * them, concurrently, and `/stats` from each is exactly `createStats()` fed the same events.
 */
import { createStats, type Event } from '@1mrc/core';
import type { RunningServer } from '@1mrc/server';
import { createRedisStore, type RedisStore, type RedisStoreOptions } from '@1mrc/store-redis';
import {
  ADAPTERS,
  fetchGet,
  fetchPostEvent,
  fetchPostEvents,
  type RedisClusterProcess,
  type RedisProcess,
  skipWithoutRedis,
  startRedis,
  startRedisCluster,
  testAdapters,
} from '@1mrc/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const skip = skipWithoutRedis();

/** Values whose float running sum is not the exact one; ids that differ only in case or form. */
function events(count: number): Event[] {
  const values = [0.1, 0.2, 0.3, 1e16, 1, -1e16, 5e-324, -0, 123456.789, Number.MAX_VALUE, -Number.MAX_VALUE];
  const ids = ['user_1', 'User_1', 'é', 'e\u0301', '€'.repeat(84)];
  return Array.from({ length: count }, (_, i) => ({
    userId: `${ids[i % ids.length]}${i % 41}`,
    value: values[i % values.length]! * (1 - i / 4096),
  }));
}

describe.skipIf(skip).each(['standalone', 'cluster'] as const)('3 servers on one Redis (%s)', (target) => {
  let redis: RedisProcess | undefined;
  let cluster: RedisClusterProcess | undefined;
  const servers: RunningServer[] = [];
  const stores: RedisStore[] = [];

  beforeAll(async () => {
    let options: RedisStoreOptions;
    if (target === 'standalone') {
      redis = await startRedis();
      options = { url: redis.url, shards: 3, commandTimeoutMs: 10_000, connectTimeoutMs: 10_000 };
    } else {
      cluster = await startRedisCluster();
      options = { cluster: cluster.seeds, commandTimeoutMs: 10_000, connectTimeoutMs: 10_000 };
    }
    for (const serve of testAdapters.map((name) => ADAPTERS[name])) {
      const store = createRedisStore(options);
      await store.ready();
      stores.push(store);
      servers.push(await serve({ port: 0, store }));
    }
  });

  afterAll(async () => {
    for (const server of servers) await server.close();
    for (const store of stores) await store.close();
    await redis?.stop();
    await cluster?.stop();
  });

  it('every server answers the exact /stats of all events sent to any of them', async () => {
    const all = events(900);
    const reference = createStats();
    for (const { userId, value } of all) reference.record(userId, value);
    // 30 concurrent senders, round-robin over the servers, singles and batches mixed.
    await Promise.all(
      Array.from({ length: 30 }, async (_, k) => {
        const mine = all.slice(k * 30, k * 30 + 30);
        const url = servers[k % servers.length]!.url;
        for (const e of mine.slice(0, 10))
          expect((await fetchPostEvent(url, e.userId, e.value)).status).toBe(200);
        expect((await fetchPostEvents(url, mine.slice(10))).status).toBe(200);
      }),
    );
    const expected = reference.snapshot();
    for (const server of servers) expect((await fetchGet(server.url, '/stats')).body).toEqual(expected);
  });
});
