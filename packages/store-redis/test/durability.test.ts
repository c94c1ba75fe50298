/**
 * Acknowledged means stored, with `appendfsync always`: kill -9 of the server (a real child
 * process running an example with STORE=redis://…) or of redis-server, under load, loses no
 * acknowledged event and invents none. Every event has its own user and value 1, so a snapshot
 * of whole events has totalRequests = uniqueUsers = sum, which this checks too (atomicity).
 */

import type { Snapshot } from '@1mrc/core';
import {
  eventually,
  exampleCommand,
  fetchGet,
  fetchPostEvent,
  type RedisProcess,
  skipsUws,
  skipWithoutRedis,
  startRedis,
  startServerProcess,
} from '@1mrc/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const skip = skipWithoutRedis();

interface Load {
  readonly acked: () => number;
  /** Answers 503: Redis could not confirm. */
  readonly refused: () => number;
  readonly sent: () => number;
  /** Stops the loops and waits for every request in flight to settle. */
  stop(): Promise<void>;
}

/** `loops` clients posting one event after another; a failed request is sent, not acked. */
function load(url: () => string, loops: number, tag: string): Load {
  let acked = 0;
  let refused = 0;
  let sent = 0;
  let running = true;
  const loop = async (k: number): Promise<void> => {
    for (let i = 0; running; i++) {
      sent++;
      try {
        const { status } = await fetchPostEvent(url(), `${tag}-${k}-${i}`, 1);
        if (status === 200) acked++;
        else if (status === 503) refused++;
      } catch {
        // The server is gone: not acknowledged. Back off a little.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };
  const all = Promise.all(Array.from({ length: loops }, (_, k) => loop(k)));
  return {
    acked: () => acked,
    refused: () => refused,
    sent: () => sent,
    async stop() {
      running = false;
      await all;
    },
  };
}

function expectBounds(snapshot: Snapshot, acked: number, sent: number): void {
  expect(snapshot.totalRequests).toBeGreaterThanOrEqual(acked);
  expect(snapshot.totalRequests).toBeLessThanOrEqual(sent);
  expect(snapshot.uniqueUsers).toBe(snapshot.totalRequests);
  expect(snapshot.sum).toBe(snapshot.totalRequests);
}

describe.skipIf(skip)('durability with appendfsync always', () => {
  let redis: RedisProcess | undefined;
  afterEach(async () => {
    await redis?.stop();
    redis = undefined;
  });

  it('kill -9 of the server: a new server on the same Redis holds every acknowledged event', async () => {
    redis = await startRedis({ appendfsync: 'always' });
    const env = { STORE: `${redis.url}?commandTimeoutMs=10000` };
    const first = await startServerProcess(exampleCommand('node'), { env });
    let url = first.url;
    const traffic = load(() => url, 16, 'a');
    await eventually(async () => traffic.acked() >= 300);
    process.kill(first.pid, 'SIGKILL');
    await first.stop();
    const second = await startServerProcess(exampleCommand('node'), { env });
    url = second.url;
    await eventually(async () => traffic.acked() >= 600);
    await traffic.stop();
    const stats = await fetchGet(second.url, '/stats');
    expectBounds(stats.body as Snapshot, traffic.acked(), traffic.sent());
    await second.stop();
  });

  it('kill -9 of redis-server: the running server reconnects by itself, nothing acknowledged is lost', async () => {
    redis = await startRedis({ appendfsync: 'always' });
    // uWS where it loads (this Node.js has a native build), else fastify: an adapter other than the first test's.
    const server = await startServerProcess(exampleCommand(skipsUws('uws') ? 'fastify' : 'uws'), {
      env: { STORE: `${redis.url}?commandTimeoutMs=10000` },
    });
    const traffic = load(() => server.url, 16, 'b');
    await eventually(async () => traffic.acked() >= 300);
    await redis.kill();
    const ackedWhileDown = traffic.acked();
    await eventually(async () => traffic.refused() > 0);
    await redis.restart();
    await eventually(async () => traffic.acked() >= ackedWhileDown + 300);
    await traffic.stop();
    const stats = await fetchGet(server.url, '/stats');
    expect(stats.status).toBe(200);
    expectBounds(stats.body as Snapshot, traffic.acked(), traffic.sent());
    await server.stop();
  });
});
