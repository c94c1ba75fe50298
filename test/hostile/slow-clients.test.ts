/**
 * Slow clients (slowloris): 500 connections send a request a byte every 100 ms, half of them in
 * the head, half in the body. Meanwhile other clients must be served, and served fully, before
 * any slow one is cut off; then every slow one must be cut off within the adapter's timeout,
 * and none counted (each body is a valid event, padded so it never ends in time).
 */
import { connect } from 'node:net';
import { type AdapterName, healthy, postEvent, readStats, testAdapters, withServer } from '@1mrc/testkit';
import { describe, expect, it } from 'vitest';
import { cutOffLimitMs, TEST_TIMEOUTS } from './limits.js';
import { drive, sleep } from './load.js';

const SLOW_CLIENTS = 500;
const GAP_MS = 100;
const FAST_REQUESTS = 2_000;
const FAST_CONNECTIONS = 8;
/** Well inside the slow clients' 4 s head timeout, counted from 0.5 s after they started. */
const MEANWHILE_MS = 2_000;

/** Longer than `TEST_TIMEOUTS` here: the served-meanwhile check needs the slow ones alive. */
const TIMEOUTS = { ...TEST_TIMEOUTS, headersTimeout: 4_000, requestTimeout: 5_000 };

const EVENT = '{"userId":"slow","value":1}';
/** Hundreds of bytes: at a byte per 100 ms, none of these requests could finish before the cut. */
const slowHead = (url: string): string => postEvent(url, EVENT, { 'x-pad': 'a'.repeat(400) });
const slowBodyHead = (url: string): string =>
  postEvent(url, '', { 'content-length': String(EVENT.length + 600) });
const SLOW_BODY = EVENT + ' '.repeat(600);

interface SlowClient {
  /** Milliseconds from the first byte to the server's close; undefined while open. */
  cutAfterMs: number | undefined;
  readonly stop: () => void;
}

/** Writes `head` at once (if any), then `trickled` a byte every `GAP_MS` until the server hangs up. */
function slowClient(url: string, head: string, trickled: string): Promise<SlowClient> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let timer: NodeJS.Timeout | undefined;
    const client: SlowClient = {
      cutAfterMs: undefined,
      stop: () => {
        clearInterval(timer);
        socket.destroy();
      },
    };
    socket.on('error', () => {});
    socket.once('connect', () => {
      const started = Date.now();
      socket.on('close', () => {
        clearInterval(timer);
        client.cutAfterMs ??= Date.now() - started;
      });
      if (head) socket.write(head);
      let sent = 0;
      timer = setInterval(() => {
        if (sent < trickled.length) socket.write(trickled[sent++] as string, 'latin1');
      }, GAP_MS);
      resolve(client);
    });
    socket.once('error', reject);
  });
}

const fastEvent =
  (url: string) =>
  (i: number): string =>
    postEvent(url, `{"userId":"fast_${i % 100}","value":${i % 7}}`);

function summary(clients: readonly SlowClient[]): string {
  const cut = clients.map((client) => client.cutAfterMs ?? Number.NaN).sort((a, b) => a - b);
  return `cut after ${cut[0]}–${cut.at(-1)} ms`;
}

async function slowClients(adapter: AdapterName): Promise<void> {
  await withServer(adapter, TIMEOUTS, async (server) => {
    const alone = await drive(server.url, FAST_CONNECTIONS, FAST_REQUESTS, fastEvent(server.url));
    const heads = await Promise.all(
      Array.from({ length: SLOW_CLIENTS / 2 }, () => slowClient(server.url, '', slowHead(server.url))),
    );
    const bodies = await Promise.all(
      Array.from({ length: SLOW_CLIENTS / 2 }, () =>
        slowClient(server.url, slowBodyHead(server.url), SLOW_BODY),
      ),
    );
    const slow = [...heads, ...bodies];
    try {
      await sleep(5 * GAP_MS);
      // Bounded in time, not only in count: on a loaded machine 2,000 requests may outlast the
      // slow clients' cut-off, and then nothing would say whether they were served *meanwhile*.
      const meanwhile = await drive(server.url, FAST_CONNECTIONS, FAST_REQUESTS, fastEvent(server.url), {
        forMs: MEANWHILE_MS,
      });
      const stillOpen = slow.filter((client) => client.cutAfterMs === undefined).length;

      expect(alone.statuses).toEqual({ 200: FAST_REQUESTS });
      expect(meanwhile.statuses).toEqual({ 200: meanwhile.sent });
      expect(meanwhile.sent).toBeGreaterThanOrEqual(FAST_CONNECTIONS);
      // Served while every slow client still held its connection: nothing waited for them.
      expect(stillOpen).toBe(SLOW_CLIENTS);

      const limit = cutOffLimitMs(adapter) + TIMEOUTS.requestTimeout - TEST_TIMEOUTS.requestTimeout;
      const deadline = Date.now() + limit;
      while (slow.some((client) => client.cutAfterMs === undefined) && Date.now() < deadline)
        await sleep(250);
      const notCut = slow.filter((client) => client.cutAfterMs === undefined).length;
      expect(notCut, `slow clients still connected after ${limit} ms`).toBe(0);

      expect((await readStats(server.url)).totalRequests).toBe(FAST_REQUESTS + meanwhile.sent);
      expect(await healthy(server.url)).toBe(true);
      const rate = (result: { sent: number; elapsedMs: number }): number =>
        Math.round(result.sent / (result.elapsedMs / 1000));
      console.log(
        `slow clients ${adapter}: ${FAST_REQUESTS} requests at ${rate(alone)}/s alone, ${meanwhile.sent} at ${rate(meanwhile)}/s ` +
          `beside ${SLOW_CLIENTS} slow clients; slow heads ${summary(heads)}, slow bodies ${summary(bodies)}`,
      );
    } finally {
      for (const client of slow) client.stop();
    }
  });
}

describe.concurrent('slow clients', () => {
  for (const adapter of testAdapters) {
    it(
      `${adapter}: others are served meanwhile, the slow ones are cut off, none counted`,
      () => slowClients(adapter),
      60_000,
    );
  }
});
