/**
 * An exception anywhere a request's handling reaches outside the contract (the store, on every
 * route, thrown or rejected, with an `Error` or anything else, or a broken promise or snapshot)
 * answers 500 with the contract's own bytes, says nothing of the cause, and the server goes on
 * serving and counting right.
 */

import { createStats, type EventStore } from '@1mrc/core';
import { postEvent, RawConnection, rawRequest, readStats, testAdapters, withServer } from '@1mrc/testkit';
import { describe, expect, it } from 'vitest';
import { LEAK } from './limits.js';

const INTERNAL = '{"error":{"code":"INTERNAL","message":"internal error"}}';
const TOKEN = 'hostile-token';
const SECRET = '/work/main/secret/path.ts:12:7';

/** What a broken store may do instead of its work. */
const FAULTS = {
  'throws an Error': (): never => {
    throw new Error(`disk on fire at ${SECRET}`);
  },
  'throws a string': (): never => {
    throw `raw string ${SECRET}`;
  },
  'throws an object whose toString throws': (): never => {
    throw {
      toString() {
        throw new Error(SECRET);
      },
    };
  },
  'rejects with an Error': () => Promise.reject(new Error(`lost ${SECRET}`)),
  'rejects with undefined': () => Promise.reject(undefined),
  'returns a thenable whose then throws': () =>
    ({
      // biome-ignore lint/suspicious/noThenProperty: a broken promise is the point.
      then() {
        throw new Error(SECRET);
      },
    }) as unknown as Promise<void>,
  /** `record`, `recordBatch` and `reset` return nothing or a promise. */
  'returns something that is not a promise': (): unknown => 42,
} as const;
type Fault = keyof typeof FAULTS;
/** For `snapshot` only: something that is not a snapshot, now or later. */
const BAD_SNAPSHOTS = {
  'resolves to null': () => Promise.resolve(null),
  'resolves to an empty object': () => Promise.resolve({}),
  'returns a NaN sum': () => ({ totalRequests: 1, uniqueUsers: 1, sum: Number.NaN, avg: Number.NaN }),
  'resolves to a BigInt sum': () => Promise.resolve({ totalRequests: 1, uniqueUsers: 1, sum: 1n, avg: 1 }),
} as const;

/** The four methods every store has (`health` and `close` are optional). */
type StoreMethod = 'record' | 'recordBatch' | 'snapshot' | 'reset';

/** The in-memory store, with one method broken on demand. */
function brokenStore(): {
  store: EventStore;
  breakOn(method: StoreMethod, fault: () => unknown): void;
  heal(): void;
} {
  const stats = createStats();
  let broken: { method: StoreMethod; fault: () => unknown } | undefined;
  const call =
    <K extends StoreMethod>(method: K) =>
    (...args: Parameters<EventStore[K]>): ReturnType<EventStore[K]> => {
      if (broken?.method === method) return broken.fault() as ReturnType<EventStore[K]>;
      return (stats[method] as (...a: Parameters<EventStore[K]>) => ReturnType<EventStore[K]>)(...args);
    };
  return {
    store: {
      record: call('record'),
      recordBatch: call('recordBatch'),
      snapshot: call('snapshot'),
      reset: call('reset'),
    },
    breakOn: (method, fault) => {
      broken = { method, fault };
    },
    heal: () => {
      broken = undefined;
    },
  };
}

/** The request that reaches each store method. */
const REQUESTS: Readonly<Record<StoreMethod, (url: string) => Uint8Array | string>> = {
  record: (url) => postEvent(url, '{"userId":"u","value":1}'),
  recordBatch: (url) => rawRequest(url, 'POST', '/events', JSON_TYPE, '[{"userId":"u","value":1}]'),
  snapshot: (url) => rawRequest(url, 'GET', '/stats'),
  reset: (url) => rawRequest(url, 'POST', '/reset', { authorization: `Bearer ${TOKEN}` }, ''),
};
const JSON_TYPE = { 'content-type': 'application/json' };

for (const adapter of testAdapters) {
  describe(`exceptions: ${adapter}`, () => {
    it('every store method, every way of failing: 500 with the contract bytes, then business as usual', () => {
      const { store, breakOn, heal } = brokenStore();
      return withServer(adapter, { store, resetToken: TOKEN }, async (server) => {
        const connection = await RawConnection.open(server.url);
        const cases: [StoreMethod, string, () => unknown][] = [];
        for (const method of Object.keys(REQUESTS) as StoreMethod[]) {
          for (const fault of Object.keys(FAULTS) as Fault[]) {
            cases.push([method, fault, FAULTS[fault]]);
          }
        }
        for (const [name, fault] of Object.entries(BAD_SNAPSHOTS)) cases.push(['snapshot', name, fault]);

        for (const [method, name, fault] of cases) {
          breakOn(method, fault);
          // On one kept-alive connection: a failure must not break the connection either.
          const [answer] = await connection.send(REQUESTS[method](server.url));
          heal();
          const body = answer?.body.toString('latin1');
          expect({ method, name, status: answer?.status, body }).toEqual({
            method,
            name,
            status: 500,
            body: INTERNAL,
          });
          expect(body).not.toMatch(LEAK);
          // The server goes on: the next event is answered and counted, exactly once.
          const [next] = await connection.send(postEvent(connection.url, `{"userId":"after","value":2}`));
          expect(next?.status).toBe(200);
        }
        connection.destroy();
        const stats = await readStats(server.url);
        // Failed reset calls left the stats alone, failed records added nothing: only the follow-ups count.
        expect(stats.totalRequests).toBe(cases.length);
        expect(stats.sum).toBe(2 * cases.length);
        console.log(
          `exceptions ${adapter}: ${cases.length} store failures answered 500, server kept counting`,
        );
      });
    });
  });
}
