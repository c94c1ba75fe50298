/** Stores that make an adapter take its asynchronous and failing paths. */
import { createStats, type Event, type EventStore, type Stats } from '@1mrc/core';

export interface GatedStore {
  readonly store: EventStore;
  readonly stats: Stats;
  /** How many calls are waiting for `release`. */
  pending(): number;
  /** Resolves when `count` calls are waiting. */
  waitForPending(count: number): Promise<void>;
  /** Lets every waiting call (and every later one) complete. */
  release(): void;
}

/** Every call does its work at once but resolves only when the test says so. */
export function gatedStore(): GatedStore {
  const stats = createStats();
  let open = false;
  let waiting: (() => void)[] = [];
  let onPending: (() => void) | undefined;
  const gate = <T>(work: () => T): Promise<T> => {
    const result = work();
    if (open) return Promise.resolve(result);
    return new Promise((resolve) => {
      waiting.push(() => resolve(result));
      onPending?.();
    });
  };
  return {
    stats,
    store: {
      record: (userId: string, value: number) => gate(() => stats.record(userId, value)),
      recordBatch: (events: readonly Event[]) => gate(() => stats.recordBatch(events)),
      snapshot: () => gate(() => stats.snapshot()),
      reset: () => gate(() => stats.reset()),
    },
    pending: () => waiting.length,
    waitForPending: (count) =>
      new Promise((resolve) => {
        onPending = () => {
          if (waiting.length >= count) resolve();
        };
        onPending();
      }),
    release() {
      open = true;
      for (const resolve of waiting) resolve();
      waiting = [];
    },
  };
}

/** Resolves every call after `ms` milliseconds, like a store across the network. */
export function delayedStore(ms: number): { store: EventStore; stats: Stats } {
  const stats = createStats();
  const later = <T>(work: () => T): Promise<T> =>
    new Promise((resolve, reject) =>
      setTimeout(() => {
        try {
          resolve(work());
        } catch (error) {
          reject(error);
        }
      }, ms),
    );
  return {
    stats,
    store: {
      record: (userId, value) => later(() => stats.record(userId, value)),
      recordBatch: (events) => later(() => stats.recordBatch(events)),
      snapshot: () => later(() => stats.snapshot()),
      reset: () => later(() => stats.reset()),
    },
  };
}

/** A store whose every call fails, synchronously or by rejecting. */
export function failingStore(mode: 'throw' | 'reject'): EventStore {
  const fail = (): never => {
    throw new Error('store is down: secret-internal-detail');
  };
  const call =
    mode === 'throw' ? fail : () => Promise.reject(new Error('store is down: secret-internal-detail'));
  return { record: call, recordBatch: call, snapshot: call, reset: call };
}
