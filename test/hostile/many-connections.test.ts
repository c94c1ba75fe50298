/**
 * 10,000 concurrent keep-alive connections, each sending an event every 3 s (uWS closes a
 * connection idle for about 10 s), from a client in a process of its own: one process may not
 * hold both ends (both need their open-file limit raised; see `startChild`). Every connection
 * must be answered, every event counted, and the server's memory for them stay within a bound.
 */

import {
  type AdapterName,
  openFileLimit,
  postEvent,
  startChild,
  startServerChild,
  testAdapters,
} from '@1mrc/testkit';
import { describe, expect, it } from 'vitest';
import { MiB } from './limits.js';
import { drive } from './load.js';

const WANTED = Number(process.env['HOSTILE_CONNECTIONS'] ?? 10_000);
const PAUSE_MS = 3_000;
const WARM_UP = 2_000;
/**
 * Memory the server may take per open connection, after a full GC: measured at 0.7 KiB (uWS)
 * to 7.6 KiB (node:http) on a loaded machine (docs/reliability.md). Three times the most leaves
 * room for noise and would still catch a buffer kept per connection.
 */
const MAX_BYTES_PER_CONNECTION = 24 * 1024;
/** Room kept for what else the server process has open. */
const SPARE_FILES = 200;

async function manyConnections(adapter: AdapterName): Promise<void> {
  const server = await startServerChild(adapter, {}, 65_536);
  let client: ReturnType<typeof startChild> | undefined;
  try {
    const warmUp = await drive(server.url, 8, WARM_UP, (i) =>
      postEvent(server.url, `{"userId":"w${i % 50}","value":1}`),
    );
    expect(warmUp.statuses).toEqual({ 200: WARM_UP });
    const before = await server.memory();

    const serverFiles = openFileLimit(server.pid) ?? Number.POSITIVE_INFINITY;
    const wanted = Math.min(WANTED, serverFiles - SPARE_FILES);
    client = startChild(
      'test/hostile/connections-child.ts',
      [server.url, String(wanted), String(PAUSE_MS)],
      65_536,
    );
    const open = JSON.parse(await client.line('open', 120_000)) as {
      target: number;
      connections: number;
      failed: number;
      ms: number;
      fileLimit: number;
    };
    const count = open.target;
    if (count < WANTED) {
      console.warn(
        `many connections ${adapter}: open-file limits ${serverFiles} (server), ${open.fileLimit} (client): ` +
          `${count} connections, not ${WANTED}`,
      );
    }
    const during = await server.memory();
    client.send('stop');
    const stopped = JSON.parse(await client.line('stopped', 60_000)) as {
      statuses: Record<string, number>;
      errors: Record<string, number>;
    };
    const final = await server.close();

    expect(open).toMatchObject({ connections: count, failed: 0 });
    expect(stopped.errors).toEqual({});
    expect(Object.keys(stopped.statuses)).toEqual(['200']);
    const answered = stopped.statuses['200'] ?? 0;
    expect(final.totalRequests).toBe(WARM_UP + answered);
    expect(final.uniqueUsers).toBe(50 + count);
    const perConnection = (during.rss - before.rss) / count;
    console.log(
      `many connections ${adapter}: ${count} open in ${open.ms} ms, ${answered} events answered and counted; ` +
        `RSS ${(before.rss / MiB).toFixed(1)} → ${(during.rss / MiB).toFixed(1)} MiB ` +
        `(${(perConnection / 1024).toFixed(1)} KiB per connection), heap ${(before.heapUsed / MiB).toFixed(1)} → ` +
        `${(during.heapUsed / MiB).toFixed(1)} MiB; open-file limits ${serverFiles} and ${open.fileLimit}`,
    );
    expect(perConnection).toBeLessThan(MAX_BYTES_PER_CONNECTION);
  } finally {
    client?.kill();
    server.kill();
  }
}

describe('many connections', () => {
  for (const adapter of testAdapters) {
    it(
      `${adapter}: ${WANTED} keep-alive connections at once are all served`,
      () => manyConnections(adapter),
      180_000,
    );
  }
});
