/**
 * A Cluster master killed and restarted on its directory: writes to its shards answer 503 (and,
 * once the Cluster marks itself down, every write does), nothing acknowledged is lost, and the
 * server recovers by itself.
 */
import { serve } from '@1mrc/adapter-node';
import type { Snapshot } from '@1mrc/core';
import type { RunningServer } from '@1mrc/server';
import { createRedisStore, type RedisStore } from '@1mrc/store-redis';
import {
  eventually,
  fetchGet,
  fetchPostEvent,
  type RedisClusterProcess,
  skipWithoutRedis,
  startRedisCluster,
} from '@1mrc/testkit';
import { afterAll, describe, expect, it } from 'vitest';

const skip = skipWithoutRedis();

describe.skipIf(skip)('Redis Cluster faults', () => {
  let cluster: RedisClusterProcess | undefined;
  let store: RedisStore | undefined;
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.close();
    await store?.close();
    await cluster?.stop();
  });

  it('a master killed: 503 for its writes, nothing acknowledged lost, recovery after its restart', async () => {
    cluster = await startRedisCluster();
    store = createRedisStore({
      cluster: cluster.seeds,
      shards: 6,
      commandTimeoutMs: 1000,
      maxReconnectDelayMs: 100,
    });
    await store.ready();
    server = await serve({ port: 0, store });
    const { url } = server;
    let acked = 0;
    let sent = 0;
    const send = async (id: string): Promise<number> => {
      sent++;
      const { status } = await fetchPostEvent(url, id, 1);
      if (status === 200) acked++;
      return status;
    };
    for (let i = 0; i < 60; i++) expect(await send(`before${i}`)).toBe(200);

    const [victim] = cluster.nodes;
    await victim!.kill();
    // Users spread over all six shards: those on the killed master fail.
    let refused = 0;
    await eventually(async () => {
      for (let i = 0; i < 12; i++) if ((await send(`down${sent}.${i}`)) === 503) refused++;
      return refused > 0;
    });
    expect((await fetchGet(url, '/stats')).status).toBe(503);

    await victim!.restart();
    await eventually(
      async () => (await send(`after${sent}`)) === 200 && (await fetchGet(url, '/stats')).status === 200,
    );
    const stats = (await fetchGet(url, '/stats')).body as Snapshot;
    expect(stats.totalRequests).toBeGreaterThanOrEqual(acked);
    expect(stats.totalRequests).toBeLessThanOrEqual(sent);
    // Whole events only: each has its own user and value 1.
    expect(stats.uniqueUsers).toBe(stats.totalRequests);
    expect(stats.sum).toBe(stats.totalRequests);
  });
});
