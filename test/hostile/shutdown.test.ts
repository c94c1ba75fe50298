/**
 * SIGTERM under load: each adapter's example runs as a child process while 32 keep-alive
 * clients send events as fast as they are answered; halfway it gets SIGTERM, drains and prints
 * its final snapshot. Every event whose 200 a client received must be in it. Each client tells
 * what it knows of each request: answered 200 (acknowledged), never written (the connection was
 * already gone: not counted), or written with no answer (unknown). So the final count must be
 * at least the acknowledged, and at most the acknowledged plus the unknown.
 */

import { createStats } from '@1mrc/core';
import { describe, expect, it } from 'vitest';
import { startServerProcess } from '../../packages/client/src/server-process.js';
import { exampleCommand } from '../../scripts/examples.js';
import { type AdapterName, adapterNames, Connection, ConnectionClosed, postEvent } from './harness.js';

const CLIENTS = 32;
/** SIGTERM once this many events were acknowledged. */
const ACKED_BEFORE_SIGTERM = 3_000;

interface Tally {
  acked: number;
  unknown: number;
  notWritten: number;
  other: Record<number, number>;
}

async function shutdownUnderLoad(adapter: AdapterName): Promise<void> {
  const server = await startServerProcess(exampleCommand(adapter));
  const tally: Tally = { acked: 0, unknown: 0, notWritten: 0, other: {} };
  const reference = createStats();
  let next = 0;
  let stopped: Promise<unknown> | undefined;
  let sigtermAt = 0;

  const client = async (): Promise<void> => {
    for (;;) {
      let connection: Connection;
      try {
        connection = await Connection.open(server.url);
      } catch {
        return; // Refused: the server stopped listening.
      }
      try {
        for (;;) {
          const i = next++;
          const event = { userId: `user_${i % 1000}`, value: (i % 97) * 1.5 };
          try {
            const [answer] = await connection.send(postEvent(JSON.stringify(event)));
            if (answer?.status === 200) {
              tally.acked++;
              reference.record(event.userId, event.value);
              // A draining server says so; a polite client does not send on that connection again.
              if (answer.headers['connection'] === 'close') break;
            } else {
              const status = answer?.status ?? 0;
              tally.other[status] = (tally.other[status] ?? 0) + 1;
            }
          } catch (error) {
            if (!(error instanceof ConnectionClosed)) throw error;
            if (error.written) tally.unknown++;
            else tally.notWritten++;
            break;
          }
          if (tally.acked >= ACKED_BEFORE_SIGTERM && stopped === undefined) {
            sigtermAt = tally.acked;
            stopped = server.stop();
          }
        }
      } finally {
        connection.destroy();
      }
    }
  };

  const clients = Promise.all(Array.from({ length: CLIENTS }, client));
  // Should the load never reach the mark (a very slow machine), stop anyway after 20 s.
  const fallback = setTimeout(() => {
    stopped ??= server.stop();
  }, 20_000);
  await clients;
  clearTimeout(fallback);
  const final = (await stopped) as Awaited<ReturnType<typeof server.stop>>;

  expect(final, 'the example printed no final snapshot').toBeDefined();
  if (final === undefined) return;
  expect(tally.other).toEqual({});
  expect(final.totalRequests).toBeGreaterThanOrEqual(tally.acked);
  expect(final.totalRequests).toBeLessThanOrEqual(tally.acked + tally.unknown);
  if (final.totalRequests === tally.acked) {
    // Exactly the acknowledged events: then the whole snapshot must be theirs, sum included.
    expect(final).toEqual(reference.snapshot());
  }
  console.log(
    `shutdown ${adapter}: SIGTERM after ${sigtermAt} acknowledged; final ${final.totalRequests} = ` +
      `${tally.acked} acknowledged + ${final.totalRequests - tally.acked} of ${tally.unknown} unknown; ` +
      `${tally.notWritten} never written`,
  );
}

describe('graceful shutdown under load', () => {
  for (const adapter of adapterNames) {
    it(
      `${adapter}: every acknowledged event is in the final snapshot`,
      () => shutdownUnderLoad(adapter),
      90_000,
    );
  }
});
