/** Stores that make an adapter take its asynchronous and failing paths. */
import { createStats, type EventStore } from '@1mrc/core';

export interface GatedStore {
  readonly store: EventStore;
  /** The store that does the work. */
  readonly inner: EventStore;
  /** How many calls are waiting for `release`. */
  pending(): number;
  /** Resolves when `count` calls are waiting. */
  waitForPending(count: number): Promise<void>;
  /** Lets every waiting call (and every later one) complete. */
  release(): void;
}

/** Every call starts its work on `inner` at once but resolves only when the test says so. */
export function gatedStore(inner: EventStore = createStats()): GatedStore {
  let open = false;
  let waiting: (() => void)[] = [];
  const watchers = new Set<() => void>();
  const gate = async <T>(work: () => T | Promise<T>): Promise<T> => {
    const result = Promise.resolve(work());
    if (open) return result;
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      for (const watch of [...watchers]) watch();
    });
    return result;
  };
  return {
    inner,
    store: {
      record: (userId, value) => gate(() => inner.record(userId, value)),
      recordBatch: (events) => gate(() => inner.recordBatch(events)),
      snapshot: () => gate(() => inner.snapshot()),
      reset: () => gate(() => inner.reset()),
      asynchronous: true,
    },
    pending: () => waiting.length,
    waitForPending: (count) =>
      new Promise((resolve) => {
        const watch = (): void => {
          if (waiting.length < count) return;
          watchers.delete(watch);
          resolve();
        };
        watchers.add(watch);
        watch();
      }),
    release() {
      open = true;
      for (const resolve of waiting) resolve();
      waiting = [];
    },
  };
}

/** Resolves every call on `inner` after `ms` milliseconds, like a store across the network. */
export function delayedStore(ms: number, inner: EventStore = createStats()): EventStore {
  const later = <T>(work: () => T | Promise<T>): Promise<T> =>
    new Promise((resolve, reject) =>
      setTimeout(() => {
        Promise.resolve().then(work).then(resolve, reject);
      }, ms),
    );
  return {
    record: (userId, value) => later(() => inner.record(userId, value)),
    recordBatch: (events) => later(() => inner.recordBatch(events)),
    snapshot: () => later(() => inner.snapshot()),
    reset: () => later(() => inner.reset()),
    asynchronous: true,
  };
}

/** What a failing store's error says: a detail no answer may leak. */
export const STORE_SECRET = 'secret-internal-detail at /secret/path';

/** A store whose every call fails, synchronously or by rejecting. */
export function failingStore(mode: 'throw' | 'reject'): EventStore {
  const error = (): Error => new Error(`store is down: ${STORE_SECRET}`);
  const call =
    mode === 'throw'
      ? (): never => {
          throw error();
        }
      : () => Promise.reject(error());
  return { record: call, recordBatch: call, snapshot: call, reset: call };
}

/** `inner`, except that its first `count` records fail (then it recovers). */
export function failingFirst(count: number, inner: EventStore = createStats()): EventStore {
  let failures = count;
  return {
    record(userId, value) {
      if (failures-- > 0) throw new Error(`disk on fire: ${STORE_SECRET}`);
      return inner.record(userId, value);
    },
    recordBatch: (events) => inner.recordBatch(events),
    snapshot: () => inner.snapshot(),
    reset: () => inner.reset(),
  };
}
