/**
 * `pnpm challenge --url a,b,c` as issue #11 means it: every adapter serving, each in its own
 * server with its own Redis store on one redis-server and one prefix, the client spreading its
 * connections over them, reading /stats from each, and checking the aggregate exactly, on the
 * hard pattern that no float sum passes.
 */
import { runChallenge } from '@1mrc/client';
import type { RunningServer } from '@1mrc/server';
import { createRedisStore, type RedisStore } from '@1mrc/store-redis';
import { ADAPTERS, type RedisProcess, skipWithoutRedis, startRedis, testAdapters } from '@1mrc/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const skip = skipWithoutRedis();
let redis: RedisProcess | undefined;
const servers: RunningServer[] = [];
const stores: RedisStore[] = [];

beforeAll(async () => {
  if (!skip) redis = await startRedis();
});
afterAll(async () => {
  await Promise.allSettled(servers.map((server) => server.close()));
  await Promise.allSettled(stores.map((store) => store.close()));
  await redis?.stop();
});

describe.skipIf(skip)('several servers on one Redis', () => {
  it(`${testAdapters.join(', ')}, one Redis store each on one prefix: the aggregate is exact`, async () => {
    for (const name of testAdapters) {
      const store = createRedisStore({ url: redis!.url, prefix: 'several:', commandTimeoutMs: 10_000 });
      stores.push(store);
      await store.ready();
      servers.push(await ADAPTERS[name]({ port: 0, store }));
    }
    const report = await runChallenge({
      url: servers.map((server) => server.url),
      requests: 6_000,
      concurrency: 30,
      pattern: 'hard',
    });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.servers?.map((server) => server.after)).toEqual(servers.map(() => report.after));
    expect(report.after).toMatchObject({ totalRequests: 6_000 });
  }, 120_000);
});
