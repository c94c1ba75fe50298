/**
 * What every adapter must do over a real socket: the one behaviour suite, run by each adapter's
 * test file on its `serve`, and by a store's test file on every adapter with that store.
 * Expected answers come from the contract itself (`reference.ts`), so these tests check that the
 * adapter serves the contract's bytes, not a copy of them.
 */
import { connect } from 'node:net';
import { createStats, type EventStore } from '@1mrc/core';
import { statsReply } from '@1mrc/core/http';
import type { RunningServer, Serve, ServeOptions } from '@1mrc/server';
import { afterEach, beforeEach, describe, expect, it as test } from 'vitest';
import { RawConnection, rawRequest, talk } from './http.js';
import {
  contractReply,
  type ExpectedReply,
  INTERNAL_ERROR,
  LENGTH_REQUIRED,
  REFERENCE_RESET_TOKEN,
  TOO_LARGE,
} from './reference.js';
import { delayedStore, failingFirst, failingStore, gatedStore, STORE_SECRET } from './stores.js';

export interface AdapterUnderTest {
  /** How the suite names it, e.g. `adapter-node`. */
  readonly name: string;
  readonly serve: Serve;
  /**
   * Cases this adapter is known to fail today, by name, each with why. They run as `it.fails`:
   * they must still fail, so fixing the adapter makes the suite say to remove the entry.
   */
  readonly knownGaps?: Readonly<Record<string, string>>;
  /**
   * The adapter refuses every chunked body with the contract's 411 before reading it (uWS: this
   * build's chunked parser is unsafe, see docs/reliability.md). Default: chunked bodies are read.
   */
  readonly refusesChunked?: boolean;
}

export interface BehaviourOptions {
  /**
   * Makes the store for each server the suite starts, empty (default: `createStats()`). The
   * waiting and failing stores wrap it, so a shared store (Redis) runs every case too. A store
   * with `close()` is closed after each case, once that case's servers are closed (a server never
   * closes the store it was given).
   */
  readonly store?: () => EventStore | Promise<EventStore>;
}

interface Sent {
  readonly status: number;
  readonly body: string;
  readonly headers: Headers;
}

async function send(
  url: string,
  method: string,
  body?: string | Uint8Array,
  contentType?: string,
): Promise<Sent> {
  const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType };
  const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

const post = (url: string, body: string | Uint8Array, contentType = 'application/json'): Promise<Sent> =>
  send(url, 'POST', body, contentType);

const event = (userId: string, value: number): string => JSON.stringify({ userId, value });

/** `answer` is the contract's `expected`: status, body bytes and every header the contract sets. */
function expectReply(answer: Sent, expected: ExpectedReply): void {
  expect({ status: answer.status, body: answer.body }).toEqual({
    status: expected.status,
    body: expected.body,
  });
  for (const [name, value] of Object.entries(expected.headers)) expect(answer.headers.get(name)).toBe(value);
}

/** Resolves with the error code of a connection attempt, or 'connected'. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

/** `inner`, and a promise that the writes it was asked for so far have been acknowledged (or failed). */
function acknowledging(inner: EventStore): { store: EventStore; acknowledged(): Promise<unknown> } {
  const writes: Promise<unknown>[] = [];
  const remember = (write: void | Promise<void>): void | Promise<void> => {
    writes.push(Promise.resolve(write).catch(() => undefined));
    return write;
  };
  return {
    store: {
      record: (userId, value) => remember(inner.record(userId, value)),
      recordBatch: (events) => remember(inner.recordBatch(events)),
      snapshot: () => inner.snapshot(),
      reset: () => inner.reset(),
    },
    acknowledged: () => Promise.all(writes),
  };
}

/** Registers the behaviour suite for `adapter` (with `options.store`'s stores, if given). */
export function describeAdapterBehaviour(adapter: AdapterUnderTest, options: BehaviourOptions = {}): void {
  const made: EventStore[] = [];
  const newStore = async (): Promise<EventStore> => {
    const store = await (options.store ?? createStats)();
    made.push(store);
    return store;
  };
  const closeStores = async (): Promise<void> => {
    for (const store of made.splice(0)) await store.close?.();
  };
  const it = (name: string, run: () => Promise<void>): void => {
    const gap = adapter.knownGaps?.[name];
    if (gap === undefined) test(name, run);
    else test.fails(`${name} (known gap: ${gap})`, run);
  };
  const start = async (more: ServeOptions = {}): Promise<RunningServer> =>
    adapter.serve({ port: 0, store: await newStore(), ...more });
  const withStarted = async (
    more: ServeOptions,
    use: (server: RunningServer) => Promise<void>,
  ): Promise<void> => {
    const server = await adapter.serve({ port: 0, ...more });
    try {
      await use(server);
    } finally {
      await server.close();
    }
  };
  const stats = async (server: RunningServer): Promise<unknown> =>
    JSON.parse((await send(`${server.url}/stats`, 'GET')).body);

  describe(`${adapter.name}: the contract over a socket`, () => {
    let server: RunningServer;
    beforeEach(async () => {
      server = await start({ resetToken: REFERENCE_RESET_TOKEN });
    });
    afterEach(async () => {
      await server.close();
      await closeStores();
    });

    it('answers POST /event with the exact bytes and counts it in GET /stats', async () => {
      const expected = await contractReply({ method: 'POST', url: '/event' }, event('a', 1.5));
      for (const [userId, value] of [
        ['a', 1.5],
        ['b', 2.5],
        ['a', 1.5],
      ] as const) {
        const answer = await post(`${server.url}/event`, event(userId, value));
        expect(answer).toMatchObject({ status: 200, body: expected.body });
        for (const [name, value] of Object.entries(expected.headers))
          expect(answer.headers.get(name)).toBe(value);
      }
      // A body without a Content-Type is JSON too.
      expect(
        (await send(`${server.url}/event`, 'POST', new TextEncoder().encode(event('c', 0)))).status,
      ).toBe(200);
      const answer = await send(`${server.url}/stats`, 'GET');
      expect(answer.status).toBe(200);
      expect(answer.body).toBe(JSON.stringify({ totalRequests: 4, uniqueUsers: 3, sum: 5.5, avg: 5.5 / 4 }));
    });

    it('serves GET /stats as the exact bytes of statsReply, query string ignored', async () => {
      await post(`${server.url}/event`, event('a', 0.1));
      await post(`${server.url}/event`, event('a', 0.2));
      const expected = new TextDecoder().decode(statsReply(await server.store.snapshot()).body);
      expect((await send(`${server.url}/stats`, 'GET')).body).toBe(expected);
      expect((await send(`${server.url}/stats?fresh=1`, 'GET')).body).toBe(expected);
    });

    it('records batches, JSON and NDJSON', async () => {
      const json = await post(`${server.url}/events`, `[${event('a', 1)},${event('b', 2)}]`);
      expect(JSON.parse(json.body)).toEqual({ accepted: 2 });
      const ndjson = await post(
        `${server.url}/events`,
        `${event('c', 3)}\n${event('a', 4)}\n`,
        'application/x-ndjson',
      );
      expect(JSON.parse(ndjson.body)).toEqual({ accepted: 2 });
      expect(await stats(server)).toMatchObject({ totalRequests: 4, uniqueUsers: 3, sum: 10 });
    });

    it('answers 404 for an unknown route and 405 with Allow for a wrong method', async () => {
      const missing = await send(`${server.url}/nope`, 'GET');
      expectReply(missing, await contractReply({ method: 'GET', url: '/nope' }));
      expect(missing.status).toBe(404);
      const wrong = await send(`${server.url}/event`, 'GET');
      expectReply(wrong, await contractReply({ method: 'GET', url: '/event' }));
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('POST');
      const deleted = await send(`${server.url}/stats`, 'DELETE');
      expectReply(deleted, await contractReply({ method: 'DELETE', url: '/stats' }));
      expect(deleted.headers.get('allow')).toBe('GET');
    });

    it('refuses bad bodies with 400, 413 and 415 and the error shape, counting nothing', async () => {
      await post(`${server.url}/event`, event('kept', 7));
      const before = await stats(server);
      const refused: [string, string | Uint8Array, string?][] = [
        ['/event', '{"userId":"a",'],
        ['/event', '{"userId":"a","value":"1"}'],
        ['/event', '{"userId":"x"}'],
        ['/event', new Uint8Array([0x22, 0xff, 0x22])],
        ['/events', `[${event('x', 1)},{}]`],
        ['/event', event('x', 1), 'text/plain'],
        ['/event', JSON.stringify({ userId: 'x', value: 1, pad: 'p'.repeat(5000) })],
      ];
      for (const [path, body, contentType] of refused) {
        const answer = await post(`${server.url}${path}`, body, contentType);
        const head = { method: 'POST', url: path, contentType: contentType ?? 'application/json' };
        const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
        expectReply(answer, await contractReply({ ...head, contentLength: size }, body));
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.headers.get('content-type')).toBe('application/json');
        expect(JSON.parse(answer.body)).toEqual({
          error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
        });
      }
      expect(await stats(server)).toEqual(before);
    });

    it('answers 413 from Content-Length without waiting for the body, then closes', async () => {
      const head = rawRequest(server.url, 'POST', '/event', {
        'content-type': 'application/json',
        'content-length': '5000',
      });
      const { answers, closed } = await talk(server.url, [head, '{"userId"']);
      expect(answers.map((a) => [a.status, a.body.toString()])).toEqual([[413, TOO_LARGE.body]]);
      expect(answers[0]?.headers['connection']).toBe('close');
      expect(closed).toBe(true);
    });

    if (adapter.refusesChunked) {
      it('refuses a chunked body with 411 before reading it, closes, and counts nothing', async () => {
        const head = rawRequest(server.url, 'POST', '/event', {
          'content-type': 'application/json',
          'transfer-encoding': 'chunked',
        });
        const whole = [head, '9\r\n{"userId"\r\n', '5\r\n:"a",\r\n', 'b\r\n"value":42}\r\n', '0\r\n\r\n'];
        const endless = [Buffer.concat([head, Buffer.from(`3e8\r\n${'x'.repeat(1000)}\r\n`.repeat(5))])];
        for (const parts of [whole, endless]) {
          const { answers, closed } = await talk(server.url, parts);
          expect(answers.map((a) => [a.status, a.body.toString()])).toEqual([[411, LENGTH_REQUIRED.body]]);
          expect(answers[0]?.headers['connection']).toBe('close');
          expect(closed).toBe(true);
        }
        expect(await stats(server)).toMatchObject({ totalRequests: 0 });
      });
    } else {
      it('cuts off a chunked body that grows past the limit with 413, then closes', async () => {
        const head = rawRequest(server.url, 'POST', '/event', {
          'content-type': 'application/json',
          'transfer-encoding': 'chunked',
        });
        const chunk = `3e8\r\n${'x'.repeat(1000)}\r\n`;
        // Five 1000-byte chunks pass the 4 KiB limit; the body never ends, so only the cut-off can answer.
        for (const parts of [
          [head, chunk, chunk, chunk, chunk, chunk],
          [Buffer.concat([head, Buffer.from(chunk.repeat(5))])],
        ]) {
          const { answers, closed } = await talk(server.url, parts);
          expect(answers.map((a) => [a.status, a.body.toString()])).toEqual([[413, TOO_LARGE.body]]);
          expect(closed).toBe(true);
        }
        expect(await stats(server)).toMatchObject({ totalRequests: 0 });
      });

      it('reads a chunked body that arrives in several pieces', async () => {
        const head = rawRequest(server.url, 'POST', '/event', {
          'content-type': 'application/json',
          'transfer-encoding': 'chunked',
        });
        const parts = [head, '9\r\n{"userId"\r\n', '5\r\n:"a",\r\n', 'b\r\n"value":42}\r\n', '0\r\n\r\n'];
        const { answers } = await talk(server.url, parts, { answers: 1 });
        expect(answers.map((a) => [a.status, a.body.toString()])).toEqual([[200, '{"status":"ok"}']]);
        expect(await stats(server)).toMatchObject({ totalRequests: 1, sum: 42 });
      });
    }

    it('answers pipelined requests in order on one kept-alive connection, across TCP segments', async () => {
      const requests: Buffer[] = [];
      const expected: string[] = [];
      for (let i = 1; i <= 20; i++) {
        requests.push(rawRequest(server.url, 'POST', '/event', {}, event(`u${i % 3}`, i)));
        expected.push('{"status":"ok"}');
        if (i % 5 === 0) {
          // Each /stats sees exactly the events sent before it on the connection.
          requests.push(rawRequest(server.url, 'GET', '/stats'));
          const sum = (i * (i + 1)) / 2;
          expected.push(JSON.stringify({ totalRequests: i, uniqueUsers: Math.min(i, 3), sum, avg: sum / i }));
        }
      }
      requests.push(
        rawRequest(server.url, 'GET', '/nope'),
        rawRequest(server.url, 'POST', '/event', {}, '{bad'),
      );
      const all = Buffer.concat(requests);
      const connection = await RawConnection.open(server.url);
      try {
        // Split at awkward places, so requests straddle TCP segments.
        connection.write(all.subarray(0, 7));
        connection.write(all.subarray(7, 500));
        connection.write(all.subarray(500));
        const answers = await connection.answers(requests.length);
        expect(answers.slice(0, expected.length).map((a) => a.body.toString())).toEqual(expected);
        expect(answers.slice(expected.length).map((a) => a.status)).toEqual([404, 400]);
        expect(answers.filter((a) => a.headers['connection'] === 'close')).toEqual([]);
        // Still open: a request after them all is answered on the same connection.
        expect((await connection.send(rawRequest(server.url, 'GET', '/health')))[0]?.status).toBe(200);
        expect(connection.closed).toBe(false);
      } finally {
        connection.destroy();
      }
    });

    const behind413 = async (): Promise<{ statuses: number[]; closed: boolean }> => {
      const tooLarge = rawRequest(server.url, 'POST', '/event', {
        'content-type': 'application/json',
        'content-length': '5000',
      });
      const late = rawRequest(server.url, 'POST', '/event', {}, event('late', 1));
      const { answers, closed } = await talk(
        server.url,
        Buffer.concat([tooLarge, Buffer.from('x'.repeat(5000)), late]),
      );
      return { statuses: answers.map((a) => a.status), closed };
    };

    it('starts nothing that was pipelined behind a 413, and closes the connection', async () => {
      const { statuses, closed } = await behind413();
      expect(statuses.filter((status) => status !== 413)).toEqual([]);
      expect(closed).toBe(true);
      expect(await stats(server)).toMatchObject({ totalRequests: 0 });
    });

    it('answers 413 to a request that has one pipelined behind it', async () => {
      expect((await behind413()).statuses).toEqual([413]);
    });

    it('answers HEAD with the head only, keeping the connection usable', async () => {
      const connection = await RawConnection.open(server.url, { headAnswers: [0] });
      try {
        connection.write(
          Buffer.concat([rawRequest(server.url, 'HEAD', '/stats'), rawRequest(server.url, 'GET', '/health')]),
        );
        const [head, health] = await connection.answers(2);
        expect(head?.status).toBe(405);
        expect(Number(head?.headers['content-length'])).toBeGreaterThan(0);
        expect(health?.body.toString()).toBe('{"status":"ok"}');
      } finally {
        connection.destroy();
      }
    });

    it('guards POST /reset with the bearer token', async () => {
      await post(`${server.url}/event`, event('a', 1));
      const denied = await send(`${server.url}/reset`, 'POST');
      expectReply(denied, await contractReply({ method: 'POST', url: '/reset' }));
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toBe('Bearer');
      expect(await stats(server)).toMatchObject({ totalRequests: 1 });
      const reset = await fetch(`${server.url}/reset`, {
        method: 'POST',
        headers: { authorization: `Bearer ${REFERENCE_RESET_TOKEN}` },
      });
      expect(reset.status).toBe(200);
      expect(await stats(server)).toMatchObject({ totalRequests: 0 });
    });

    it('closes idle keep-alive connections on close(), and answers a late request on one first', async () => {
      const idle = await RawConnection.open(server.url);
      await idle.send(rawRequest(server.url, 'POST', '/event', {}, event('i', 1)));
      const late = await RawConnection.open(server.url);
      await late.send(rawRequest(server.url, 'GET', '/health'));
      const closing = server.close();
      // A request that reaches a kept-alive connection while the server drains may be answered
      // (then its connection goes) or find the connection closed: never answered and dropped.
      const [answer] = await late.send(rawRequest(server.url, 'GET', '/health')).catch(() => [undefined]);
      if (answer !== undefined) {
        expect(answer.status).toBe(200);
        expect(answer.headers['connection']).toBe('close');
      }
      await closing;
      expect(await idle.closedWithin(5_000)).toBe(true);
      expect(await late.closedWithin(5_000)).toBe(true);
      expect(server.close()).toBe(closing);
      server = await start();
    });
  });

  describe(`${adapter.name}: starting`, () => {
    afterEach(closeStores);
    it('binds 127.0.0.1 by default and reports the port it got', async () => {
      await withStarted({}, async (server) => {
        expect(server.port).toBeGreaterThan(0);
        expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      });
    });

    it('rejects when the port is taken, naming it', async () => {
      await withStarted({}, async (first) => {
        const taken = adapter.serve({ port: first.port });
        await expect(taken).rejects.toSatisfy(
          (error: NodeJS.ErrnoException) =>
            error.code === 'EADDRINUSE' || error.message.includes(`127.0.0.1:${first.port}`),
        );
      });
    });

    it('refuses a bad port or limit before listening, quoting it', async () => {
      await expect(adapter.serve({ port: -1 })).rejects.toThrow(/port.*-1/);
      await expect(adapter.serve({ port: 0, maxBatchEvents: 1.5 })).rejects.toThrow(/maxBatchEvents.*1\.5/);
      await expect(adapter.serve({ port: 0, maxEventBytes: 0 })).rejects.toThrow(TypeError);
    });

    it('applies the body limits it is given', async () => {
      await withStarted({ maxEventBytes: 30 }, async (server) => {
        const answer = await post(`${server.url}/event`, event('a-longer-user', 1));
        expect(answer).toMatchObject({ status: 413, body: TOO_LARGE.body });
      });
    });

    it('resolves close() at once with nothing in flight, then refuses connections', async () => {
      const server = await start();
      await server.close();
      expect(await tryConnect(server.port)).toBe('ECONNREFUSED');
    });
  });

  describe(`${adapter.name}: stores that wait or fail`, () => {
    afterEach(closeStores);
    it('answers only after an asynchronous store resolved, with the same bytes as a synchronous one', async () => {
      const inner = await newStore();
      await withStarted({ store: delayedStore(20, inner) }, async (server) => {
        const answers = await Promise.all(
          ['a', 'b', 'a'].map((user, i) => post(`${server.url}/event`, event(user, i))),
        );
        expect(answers.map((a) => [a.status, a.body])).toEqual(Array(3).fill([200, '{"status":"ok"}']));
        const batch = await post(`${server.url}/events`, `[${event('c', 4)}]`);
        expect(JSON.parse(batch.body)).toEqual({ accepted: 1 });
        const served = await send(`${server.url}/stats`, 'GET');
        expect(served.body).toBe(new TextDecoder().decode(statsReply(await inner.snapshot()).body));
        expect(await inner.snapshot()).toMatchObject({ totalRequests: 4, uniqueUsers: 3, sum: 7 });
      });
    });

    it('handles pipelined requests one after another when the store is asynchronous', async () => {
      await withStarted({ store: delayedStore(20, await newStore()) }, async (server) => {
        const requests = Buffer.concat([
          rawRequest(server.url, 'POST', '/event', {}, event('a', 1)),
          rawRequest(server.url, 'POST', '/event', {}, event('b', 2)),
          rawRequest(server.url, 'GET', '/stats'),
        ]);
        const { answers } = await talk(server.url, requests, { answers: 3 });
        expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
        expect(JSON.parse(answers[2]?.body.toString() ?? '')).toMatchObject({ totalRequests: 2, sum: 3 });
      });
    });

    it('never counts a pipelined event it does not answer 200, when the store is asynchronous', async () => {
      // In one packet, and in packets 5 ms apart, while the store takes 20 ms for each event.
      for (const gapMs of [0, 5]) {
        const writes = acknowledging(await newStore());
        await withStarted({ store: delayedStore(20, writes.store) }, async (server) => {
          const requests = [
            rawRequest(server.url, 'POST', '/event', {}, event('a', 1)),
            rawRequest(server.url, 'POST', '/event', {}, event('b', 2)),
            rawRequest(server.url, 'POST', '/event', {}, event('c', 3)),
          ];
          const { answers } = await talk(server.url, gapMs === 0 ? Buffer.concat(requests) : requests, {
            answers: 3,
            gapMs,
          });
          // Every write the server started has finished before the count is read.
          await new Promise((resolve) => setTimeout(resolve, 100));
          await writes.acknowledged();
          expect(answers.map((a) => a.status).filter((status) => status !== 200)).toEqual([]);
          expect(await writes.store.snapshot()).toMatchObject({ totalRequests: answers.length });
        });
      }
    });

    it('stops accepting on close(), lets requests in flight finish with Connection: close, counts them', async () => {
      const gated = gatedStore(await newStore());
      const server = await adapter.serve({ port: 0, store: gated.store });
      const inFlight = Array.from({ length: 5 }, (_, i) => post(`${server.url}/event`, event(`u${i}`, i)));
      await gated.waitForPending(5);
      let closed = false;
      const closing = server.close().then(() => {
        closed = true;
      });
      // Refused, or (fastify, as its listener closes) reset: never served.
      expect(['ECONNREFUSED', 'ECONNRESET']).toContain(await tryConnect(server.port));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(closed).toBe(false);
      gated.release();
      const answers = await Promise.all(inFlight);
      // A draining server tells each client it is closing the connection.
      expect(answers.map((a) => [a.status, a.body, a.headers.get('connection')])).toEqual(
        Array(5).fill([200, '{"status":"ok"}', 'close']),
      );
      await closing;
      expect(await gated.inner.snapshot()).toMatchObject({ totalRequests: 5, uniqueUsers: 5, sum: 10 });
    });

    it('survives clients that leave while the store is still working', async () => {
      const writes = acknowledging(await newStore());
      const gated = gatedStore(writes.store);
      await withStarted({ store: gated.store }, async (server) => {
        const leavers = await Promise.all([1, 2, 3].map(() => RawConnection.open(server.url)));
        leavers[0]?.write(rawRequest(server.url, 'POST', '/event', {}, event('gone', 1)));
        leavers[1]?.write(rawRequest(server.url, 'GET', '/stats'));
        leavers[2]?.write(rawRequest(server.url, 'POST', '/events', {}, `[${event('gone', 2)}]`));
        await gated.waitForPending(3);
        for (const leaver of leavers) leaver.destroy();
        // Give the server a moment to see the aborts before the store resolves.
        await new Promise((resolve) => setTimeout(resolve, 50));
        gated.release();
        expect((await send(`${server.url}/health`, 'GET')).status).toBe(200);
        // The store did its work; only the answers had nowhere to go. A shared store (Redis)
        // acknowledges later than it is called, and a snapshot holds only acknowledged writes.
        await writes.acknowledged();
        expect(await gated.inner.snapshot()).toMatchObject({ totalRequests: 2, sum: 3 });
      });
    });

    it('answers 500 without a cause when the store throws once, then keeps serving and counting', async () => {
      const inner = await newStore();
      await withStarted({ store: failingFirst(1, inner) }, async (server) => {
        expectReply(await post(`${server.url}/event`, event('a', 1)), INTERNAL_ERROR);
        expect(await post(`${server.url}/event`, event('a', 1))).toMatchObject({
          status: 200,
          body: '{"status":"ok"}',
        });
        expect(await inner.snapshot()).toMatchObject({ totalRequests: 1 });
      });
    });

    for (const mode of ['throw', 'reject'] as const) {
      it(`answers 500 without details on every route when the store calls ${mode}, and keeps serving`, async () => {
        await withStarted({ store: failingStore(mode) }, async (server) => {
          for (const answer of [
            await post(`${server.url}/event`, event('a', 1)),
            await send(`${server.url}/stats`, 'GET'),
            await post(`${server.url}/events`, '[]'),
          ]) {
            expectReply(answer, INTERNAL_ERROR);
            expect(answer.body).not.toContain(STORE_SECRET);
          }
          expect((await send(`${server.url}/health`, 'GET')).status).toBe(200);
        });
      });
    }
  });
}
