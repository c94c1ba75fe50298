/**
 * What every node-based adapter must do over a real socket, run by each adapter's own test
 * file against its `serve`. Expected answers come from a reference contract, so these tests
 * check that the adapter serves the contract's bytes, not a copy of them.
 */
import { createStats, type EventStore, type Stats } from '@1mrc/core';
import { createContract, type Reply, type RequestHead } from '@1mrc/core/http';
import type { RunningServer, Serve } from '@1mrc/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { exchange, postEvent } from './raw-http.js';

const reference = createContract({ store: createStats() });
const decoder = new TextDecoder();

/** The contract's own answer for a request that needs no store. */
function expected(head: RequestHead, body = ''): { status: number; body: string } {
  const route = reference.route(head);
  const reply = (route.limit === undefined ? route.reply : route.handle(Buffer.from(body))) as Reply;
  return { status: reply.status, body: decoder.decode(reply.body) };
}

async function send(
  url: string,
  method: string,
  body?: string,
  contentType = 'application/json',
): Promise<{ status: number; body: string; headers: Headers }> {
  const init: RequestInit =
    body === undefined ? { method } : { method, body, headers: { 'content-type': contentType } };
  const response = await fetch(url, init);
  return { status: response.status, body: await response.text(), headers: response.headers };
}

const statsOf = async (server: RunningServer): Promise<unknown> =>
  JSON.parse((await send(`${server.url}/stats`, 'GET')).body);

/** A store that records only once `release` is called, and counts who is waiting. */
export function gatedStore(inner: Stats = createStats()): {
  store: EventStore;
  release: () => void;
  waiting: () => number;
} {
  let open = (): void => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let waiting = 0;
  const store: EventStore = {
    async record(userId, value) {
      waiting++;
      await gate;
      inner.record(userId, value);
    },
    async recordBatch(events) {
      await gate;
      inner.recordBatch(events);
    },
    snapshot: async () => inner.snapshot(),
    reset: async () => inner.reset(),
  };
  return { store, release: () => open(), waiting: () => waiting };
}

export function describeAdapter(name: string, serve: Serve): void {
  describe(`${name}: the contract over a socket`, () => {
    let server: RunningServer;
    beforeEach(async () => {
      server = await serve({ port: 0 });
    });
    afterEach(() => server.close());

    it('answers POST /event with the exact bytes and counts it in GET /stats', async () => {
      for (const [userId, value] of [
        ['a', 1.5],
        ['b', 2.5],
        ['a', 1.5],
      ] as const) {
        const answer = await send(`${server.url}/event`, 'POST', JSON.stringify({ userId, value }));
        expect(answer).toMatchObject({ status: 200, body: '{"status":"ok"}' });
        expect(answer.headers.get('content-type')).toBe('application/json');
      }
      const stats = await send(`${server.url}/stats`, 'GET');
      expect(stats.status).toBe(200);
      expect(stats.body).toBe(JSON.stringify({ totalRequests: 3, uniqueUsers: 2, sum: 5.5, avg: 5.5 / 3 }));
    });

    it('answers 404 for an unknown route and 405 with Allow for a wrong method', async () => {
      const missing = await send(`${server.url}/nope`, 'GET');
      expect(missing).toMatchObject(expected({ method: 'GET', url: '/nope' }));
      expect(missing.status).toBe(404);
      const wrong = await send(`${server.url}/event`, 'GET');
      expect(wrong).toMatchObject(expected({ method: 'GET', url: '/event' }));
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('POST');
      expect((await send(`${server.url}/stats`, 'DELETE')).headers.get('allow')).toBe('GET');
    });

    it('refuses a non-JSON content type with 415 and counts nothing', async () => {
      const answer = await send(`${server.url}/event`, 'POST', '{"userId":"a","value":1}', 'text/plain');
      expect(answer).toMatchObject(expected({ method: 'POST', url: '/event', contentType: 'text/plain' }));
      expect(answer.status).toBe(415);
      expect(await statsOf(server)).toMatchObject({ totalRequests: 0 });
    });

    it('refuses bad JSON and a string value with 400 and the error shape, counting nothing', async () => {
      for (const body of ['{"userId":"a",', '{"userId":"a","value":"1"}']) {
        const answer = await send(`${server.url}/event`, 'POST', body);
        expect(answer).toMatchObject(expected({ method: 'POST', url: '/event' }, body));
        expect(answer.status).toBe(400);
        expect(JSON.parse(answer.body)).toEqual({
          error: { code: expect.stringMatching(/^INVALID_(JSON|EVENT)$/), message: expect.any(String) },
        });
      }
      expect(await statsOf(server)).toMatchObject({ totalRequests: 0 });
    });

    it('answers 413 from Content-Length without waiting for the body, then closes', async () => {
      const head =
        'POST /event HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n';
      const { responses, closed } = await exchange(server.port, [head], 1, { waitForClose: true });
      expect(responses.map((r) => [r.status, r.body])).toEqual([
        [413, decoder.decode(reference.tooLarge.body)],
      ]);
      expect(responses[0]?.headers['connection']).toBe('close');
      expect(closed).toBe(true);
    });

    it('cuts off a chunked body that grows past the limit with 413, then closes', async () => {
      const head =
        'POST /event HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
      const chunk = `3e8\r\n${'x'.repeat(1000)}\r\n`;
      // Five 1000-byte chunks pass the 4 KiB limit; the body never ends, so only the cut-off can answer.
      const parts = [head, chunk, chunk, chunk, chunk, chunk];
      const { responses, closed } = await exchange(server.port, parts, 1, { waitForClose: true });
      expect(responses.map((r) => r.status)).toEqual([413]);
      expect(responses[0]?.body).toBe(decoder.decode(reference.tooLarge.body));
      expect(closed).toBe(true);
      expect(await statsOf(server)).toMatchObject({ totalRequests: 0 });
    });

    it('reads a chunked body that arrives in several pieces', async () => {
      const head =
        'POST /event HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
      const parts = [head, '9\r\n{"userId"\r\n', '5\r\n:"a",\r\n', 'b\r\n"value":42}\r\n', '0\r\n\r\n'];
      const { responses } = await exchange(server.port, parts, 1);
      expect(responses.map((r) => [r.status, r.body])).toEqual([[200, '{"status":"ok"}']]);
      expect(await statsOf(server)).toMatchObject({ totalRequests: 1, sum: 42 });
    });

    it('answers pipelined requests in order on one kept-alive connection', async () => {
      const requests =
        postEvent('{"userId":"p","value":7}') +
        'GET /stats HTTP/1.1\r\nHost: t\r\n\r\n' +
        'GET /nope HTTP/1.1\r\nHost: t\r\n\r\n';
      const { responses, closed } = await exchange(server.port, [requests], 3);
      expect(responses.map((r) => r.status)).toEqual([200, 200, 404]);
      expect(JSON.parse(responses[1]?.body ?? '')).toMatchObject({ totalRequests: 1, sum: 7 });
      expect(responses.map((r) => r.headers['connection'])).toEqual([
        'keep-alive',
        'keep-alive',
        'keep-alive',
      ]);
      expect(closed).toBe(false);
    });

    it('starts nothing that was pipelined behind a 413: no answer could reach the client', async () => {
      const tooLarge =
        'POST /event HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n';
      const requests = tooLarge + 'x'.repeat(5000) + postEvent('{"userId":"late","value":1}');
      const { responses, closed } = await exchange(server.port, [requests], 1, { waitForClose: true });
      expect(responses.map((r) => r.status)).toEqual([413]);
      expect(closed).toBe(true);
      expect(await statsOf(server)).toMatchObject({ totalRequests: 0 });
    });

    it('closes idle keep-alive connections on close()', async () => {
      const idle = exchange(server.port, [postEvent('{"userId":"i","value":1}')], 1, { waitForClose: true });
      await vi.waitFor(async () => expect(await statsOf(server)).toMatchObject({ totalRequests: 1 }));
      await server.close();
      const { responses, closed } = await idle;
      expect(responses.map((r) => r.status)).toEqual([200]);
      expect(closed).toBe(true);
    });
  });

  describe(`${name}: starting`, () => {
    it('binds 127.0.0.1 by default and reports the port it got', async () => {
      const server = await serve({ port: 0 });
      try {
        expect(server.port).toBeGreaterThan(0);
        expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      } finally {
        await server.close();
      }
    });

    it('rejects when the port is taken, and refuses bad limits', async () => {
      const first = await serve({ port: 0 });
      try {
        await expect(serve({ port: first.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
      } finally {
        await first.close();
      }
      await expect(serve({ port: 0, maxBatchEvents: 1.5 })).rejects.toThrow(/maxBatchEvents.*1\.5/);
    });
  });

  describe(`${name}: stores that wait or fail`, () => {
    it('answers 200 only after an async store took the event', async () => {
      const inner = createStats();
      const store: EventStore = {
        ...inner,
        record: (userId, value) =>
          new Promise((resolve) =>
            setTimeout(() => {
              inner.record(userId, value);
              resolve();
            }, 30),
          ),
      };
      const server = await serve({ port: 0, store });
      try {
        const answer = await send(`${server.url}/event`, 'POST', '{"userId":"a","value":2}');
        expect(answer).toMatchObject({ status: 200, body: '{"status":"ok"}' });
        expect(inner.snapshot().totalRequests).toBe(1);
      } finally {
        await server.close();
      }
    });

    it('handles pipelined requests one after another when the store is async', async () => {
      const inner = createStats();
      const later = <T>(work: () => T): Promise<T> =>
        new Promise((resolve) => setTimeout(() => resolve(work()), 20));
      const store: EventStore = {
        record: (userId, value) => later(() => inner.record(userId, value)),
        recordBatch: (events) => later(() => inner.recordBatch(events)),
        snapshot: () => later(() => inner.snapshot()),
        reset: () => later(() => inner.reset()),
      };
      const server = await serve({ port: 0, store });
      try {
        const requests =
          postEvent('{"userId":"a","value":1}') +
          postEvent('{"userId":"b","value":2}') +
          'GET /stats HTTP/1.1\r\nHost: t\r\n\r\n';
        const { responses } = await exchange(server.port, [requests], 3);
        expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
        expect(JSON.parse(responses[2]?.body ?? '')).toMatchObject({ totalRequests: 2, sum: 3 });
      } finally {
        await server.close();
      }
    });

    it('lets requests in flight finish on close(), with Connection: close, and counts them', async () => {
      const gated = gatedStore();
      const server = await serve({ port: 0, store: gated.store });
      const inFlight = Array.from({ length: 5 }, (_, i) =>
        send(`${server.url}/event`, 'POST', JSON.stringify({ userId: `u${i}`, value: i })),
      );
      await vi.waitFor(() => expect(gated.waiting()).toBe(5));
      const closing = server.close();
      gated.release();
      const answers = await Promise.all(inFlight);
      expect(answers.map((a) => [a.status, a.body, a.headers.get('connection')])).toEqual(
        Array(5).fill([200, '{"status":"ok"}', 'close']),
      );
      await closing;
      expect(await server.store.snapshot()).toMatchObject({ totalRequests: 5, uniqueUsers: 5, sum: 10 });
      await expect(fetch(`${server.url}/health`)).rejects.toThrow();
    });

    it('answers 500 without a cause when the store throws, then keeps serving', async () => {
      const inner = createStats();
      let failures = 1;
      const store: EventStore = {
        ...inner,
        record(userId, value) {
          if (failures-- > 0) throw new Error('disk on fire at /secret/path');
          inner.record(userId, value);
        },
      };
      const server = await serve({ port: 0, store });
      try {
        const failed = await send(`${server.url}/event`, 'POST', '{"userId":"a","value":1}');
        expect(failed).toMatchObject({ status: 500, body: decoder.decode(reference.internalError.body) });
        const next = await send(`${server.url}/event`, 'POST', '{"userId":"a","value":1}');
        expect(next).toMatchObject({ status: 200, body: '{"status":"ok"}' });
        expect(inner.snapshot().totalRequests).toBe(1);
      } finally {
        await server.close();
      }
    });

    it('answers 500 when an async store rejects', async () => {
      const store: EventStore = { ...createStats(), record: () => Promise.reject(new Error('gone')) };
      const server = await serve({ port: 0, store });
      try {
        const failed = await send(`${server.url}/event`, 'POST', '{"userId":"a","value":1}');
        expect(failed).toMatchObject({ status: 500, body: decoder.decode(reference.internalError.body) });
        expect((await send(`${server.url}/health`, 'GET')).status).toBe(200);
      } finally {
        await server.close();
      }
    });
  });
}
