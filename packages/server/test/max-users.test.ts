/**
 * `maxUsers` as an operator sets it: `MAX_USERS` in the environment, the `maxUsers` serve option
 * on the default store, and on each worker's shard (started over a real `MessageChannel`).
 */
import { MessageChannel } from 'node:worker_threads';
import { type EventStore, StatsError } from '@1mrc/core';
import { optionsFromEnv, serverSetup } from '@1mrc/server';
import { type PrimaryMessage, type ShardMessage, serveShard, type WorkerPort } from '@1mrc/server/shards';
import { describe, expect, it } from 'vitest';

function refusedCode(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof StatsError ? error.code : String(error);
  }
  return undefined;
}

describe('maxUsers', () => {
  it('is read from MAX_USERS, a positive integer', () => {
    expect(optionsFromEnv({ MAX_USERS: '1000000' })).toEqual({ maxUsers: 1_000_000 });
    expect(optionsFromEnv({ MAX_USERS: '' })).toEqual({});
    for (const bad of ['0', '-1', '1.5', 'many', '1e6', '99999999999999999999']) {
      expect(() => optionsFromEnv({ MAX_USERS: bad })).toThrow(
        new TypeError(`Expected MAX_USERS to be a positive integer, got ${bad}`),
      );
    }
  });

  it('caps the default store: a new user past it is refused, known users still count', () => {
    const { store } = serverSetup({ maxUsers: 2 });
    store.record('a', 1);
    store.record('b', 2);
    expect(refusedCode(() => store.record('c', 3))).toBe('TOO_MANY_USERS');
    store.record('a', 4);
    expect(store.snapshot()).toEqual({ totalRequests: 3, uniqueUsers: 2, sum: 7, avg: 7 / 3 });
    expect(() => serverSetup({ maxUsers: 0 })).toThrow(TypeError);
    expect(() => serverSetup({ maxUsers: 2, store: serverSetup({}).store })).toThrow(TypeError);
  });

  it("caps each worker's shard, and a bad value fails the worker's start", async () => {
    const start = async (maxUsers: number): Promise<{ store?: EventStore; reply: ShardMessage }> => {
      const { port1, port2 } = new MessageChannel();
      const worker: WorkerPort = {
        postMessage: (message) => port1.postMessage(message),
        onMessage: (listener) => port1.on('message', (message: PrimaryMessage) => listener(message)),
      };
      let store: EventStore | undefined;
      serveShard(worker, async (options) => {
        store = options.store;
        return { port: 1, close: async () => {} };
      });
      const reply = await new Promise<ShardMessage>((resolve) => {
        port2.on('message', (message: ShardMessage) => {
          if (message.kind === 'hello') port2.postMessage({ kind: 'start', options: { maxUsers } });
          else resolve(message);
        });
      });
      port1.close();
      return { store, reply };
    };
    const capped = await start(1);
    expect(capped.reply).toEqual({ kind: 'ready', port: 1 });
    capped.store?.record('a', 1);
    expect(refusedCode(() => capped.store?.record('b', 1))).toBe('TOO_MANY_USERS');
    capped.store?.record('a', 1);
    const bad = await start(1.5);
    expect(bad.reply).toMatchObject({ kind: 'start-failed', message: expect.stringMatching(/maxUsers/) });
  });
});
