/**
 * `createRedisStore`: the challenge's state in Redis, exact and atomic (docs/redis.md).
 *
 * - A write is one script on one shard: count, users and sum of every event in it change
 *   together. A `recordBatch` is one call per shard it touches (each part atomic; see
 *   docs/redis.md for what holds across shards).
 * - A read runs the read script on every shard, all issued after the read began: each shard's
 *   answer holds every event the shard confirmed before, so the snapshot holds every event
 *   acknowledged before the read began (read-your-writes across servers). Each shard's answer is
 *   atomic and an event lives in one shard, so the snapshot is the exact statistics of a set
 *   of whole events.
 * - Anything Redis did not confirm (refused, timed out, disconnected) rejects with
 *   `StoreUnavailableError`: the contract answers 503 with `Retry-After`.
 */
import {
  assertEvent,
  type Event,
  type EventStore,
  ExactSum,
  type Snapshot,
  type StoreHealth,
  StoreUnavailableError,
} from '@1mrc/core';
import { type Connection, connect, type ShardReply } from './client.js';
import { type Group, ShardWriter } from './group-commit.js';
import { type ShardKeys, shardKeys, shardOf } from './keys.js';
import { type RedisStoreOptions, type ResolvedOptions, resolveOptions } from './options.js';

/** Limbs of core's exact sum (T = Σ limb[i]·2^(32i)). */
const LIMBS = 67;
/** How long a failed call keeps `health` down without a newer call. */
const FAILURE_MEMORY_MS = 2000;

/** From source (tests, tsx) the module is spec.ts; built, spec.js. */
const SPEC_MODULE = new URL(import.meta.url.endsWith('.ts') ? './spec.ts' : './spec.js', import.meta.url)
  .href;

/** How another worker thread or process builds its own store on the same data. */
export interface StoreSpec {
  /** A module URL whose `createStoreFromSpec(options)` returns the store. */
  readonly module: string;
  readonly options: RedisStoreOptions;
}

export interface RedisStore extends EventStore {
  record(userId: string, value: number): Promise<void>;
  recordBatch(events: readonly Event[]): Promise<void>;
  snapshot(): Promise<Snapshot>;
  reset(): Promise<void>;
  health(): StoreHealth;
  /**
   * Resolves once connected (for a Cluster: the slot map is known); rejects if that takes
   * longer than `connectTimeoutMs`. Calls made before the first connection wait for it, at
   * most `connectTimeoutMs`; later, while disconnected, they fail at once.
   */
  ready(): Promise<void>;
  close(): Promise<void>;
  /** Plain data: `postMessage` carries it to a worker, which calls `createStoreFromSpec`. */
  readonly spec: StoreSpec;
  /** The options in force, defaults applied. */
  readonly options: ResolvedOptions;
}

/**
 * A store on Redis or Valkey, standalone (`url`) or Cluster (`cluster`). It connects at once
 * and reconnects by itself. Calls made before the first connection wait for it (at most
 * `connectTimeoutMs`); a call Redis does not confirm rejects with `StoreUnavailableError`.
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const resolved = resolveOptions(options);
  const { shards, retryAfterSeconds, commandTimeoutMs } = resolved;
  const client: Connection = connect(resolved);
  const keys: ShardKeys[] = shardKeys(resolved.prefix, shards);
  let lastFailure: { readonly at: number; readonly reason: string } | undefined;
  // Until the first connection, calls wait for it (at most connectTimeoutMs) instead of
  // failing: a server that starts with its store gets no 503 for the first moments.
  let firstConnection: Promise<void> | undefined = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, resolved.connectTimeoutMs);
    timer.unref?.();
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  }).then(() => {
    firstConnection = undefined;
  });
  const connected = <T>(call: () => Promise<T>): Promise<T> =>
    firstConnection === undefined ? call() : firstConnection.then(call);
  let closed = false;

  /** Bounds `pending` by the command timeout (ioredis's own covers one node, not retries). */
  const confirmed = <T>(what: string, pending: Promise<T>): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      // Rejected from the check phase: a reply that reached the socket while this event loop
      // was held up (timers run before I/O) is read first and wins the race.
      timer = setTimeout(
        () => setImmediate(() => reject(new Error(`no answer within ${commandTimeoutMs} ms`))),
        commandTimeoutMs,
      );
    });
    return Promise.race([pending, late]).then(
      (value) => {
        clearTimeout(timer);
        lastFailure = undefined;
        return value;
      },
      (error: unknown) => {
        clearTimeout(timer);
        const reason = error instanceof Error ? error.message : String(error);
        lastFailure = { at: Date.now(), reason };
        throw new StoreUnavailableError(`Redis store: ${what} not confirmed: ${reason}`, {
          retryAfterSeconds,
          cause: error,
        });
      },
    );
  };

  const send = (shard: ShardKeys) => (group: Group) =>
    connected(() => {
      const { limbs } = group.sum;
      // The script refuses to run past this instant, half the timeout before this side gives
      // up: the other half is for the AOF write (and fsync) and the reply's way back, so a write
      // that ran is, short of a stall that long, confirmed before the timeout fires.
      const deadline = Date.now() + Math.ceil(commandTimeoutMs / 2);
      return confirmed(
        'write',
        client.onemrcRecord(
          shard.count,
          shard.users,
          shard.sum,
          deadline,
          group.events,
          limbs.length,
          ...limbs,
          ...group.users,
        ),
      );
    });
  const writers = keys.map((shard) => new ShardWriter(send(shard), resolved.maxGroupEvents));

  const unavailable = (): Promise<never> =>
    Promise.reject(new StoreUnavailableError('Redis store: closed', { retryAfterSeconds }));

  const readShard = (shard: ShardKeys): Promise<ShardReply> =>
    connected(() => confirmed('read', client.onemrcRead(shard.count, shard.users, shard.sum)));

  return {
    options: resolved,
    spec: { module: SPEC_MODULE, options },
    asynchronous: true,

    record(userId, value) {
      assertEvent(userId, value);
      if (closed) return unavailable();
      return writers[shardOf(userId, shards)]!.write([{ userId, value }]);
    },

    recordBatch(events) {
      for (let i = 0; i < events.length; i++) assertEvent(events[i]?.userId, events[i]?.value, undefined, i);
      if (closed) return unavailable();
      if (events.length === 0) return Promise.resolve();
      if (shards === 1) return writers[0]!.write(events);
      const parts = new Map<number, Event[]>();
      for (const event of events) {
        const shard = shardOf(event.userId, shards);
        const part = parts.get(shard);
        if (part) part.push(event);
        else parts.set(shard, [event]);
      }
      return Promise.all([...parts].map(([shard, part]) => writers[shard]!.write(part))).then(() => {});
    },

    async snapshot() {
      if (closed) return unavailable();
      const replies = await Promise.all(keys.map(readShard));
      let totalRequests = 0;
      let uniqueUsers = 0;
      const sum = new ExactSum();
      for (const [count, users, fields] of replies) {
        totalRequests += Number(count);
        uniqueUsers += users;
        const limbs = new Array<number>(LIMBS).fill(0);
        for (let i = 0; i < fields.length; i += 2) limbs[Number(fields[i])] = Number(fields[i + 1]);
        // Core's checks and core's rounding: the one implementation of "nearest double".
        sum.merge({ limbs });
      }
      return { totalRequests, uniqueUsers, sum: sum.value(), avg: sum.divide(totalRequests) };
    },

    async reset() {
      if (closed) return unavailable();
      await Promise.all(
        keys.map((shard) => confirmed('reset', client.onemrcReset(shard.count, shard.users, shard.sum))),
      );
    },

    health() {
      if (closed) return { ok: false, reason: 'closed' };
      if (client.status !== 'ready') return { ok: false, reason: `Redis connection ${client.status}` };
      // A failure speaks for a while (a refused write leaves the connection up); then the next
      // call decides again, so health recovers by itself once Redis does.
      if (lastFailure && Date.now() - lastFailure.at < FAILURE_MEMORY_MS) {
        return { ok: false, reason: lastFailure.reason };
      }
      return { ok: true };
    },

    ready() {
      if (client.status === 'ready') return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          client.off('ready', onReady);
          reject(
            new StoreUnavailableError(`Redis store: not connected within ${resolved.connectTimeoutMs} ms`, {
              retryAfterSeconds,
            }),
          );
        }, resolved.connectTimeoutMs);
        const onReady = (): void => {
          clearTimeout(timer);
          resolve();
        };
        client.once('ready', onReady);
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
