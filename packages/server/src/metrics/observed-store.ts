import { type Event, type EventStore, StatsError } from '@1mrc/core';
import type { ServerMetrics, StoreOperation } from './server-metrics.js';

/**
 * A refusal of the event (a contract error code that says what was wrong with it, such as the
 * capacity cap) is not a store error; anything else thrown is, and so is an unavailable store.
 */
function isStoreError(error: unknown): boolean {
  return !(error instanceof StatsError) || error.code === 'UNAVAILABLE';
}

/**
 * The store as the contract sees it with metrics: events count as accepted once the store has
 * taken them (when its promise resolves, for a shared store); failures count as store errors.
 */
export function observedStore(store: EventStore, metrics: ServerMetrics): EventStore {
  const failed =
    (operation: StoreOperation) =>
    (error: unknown): never => {
      if (isStoreError(error)) metrics.storeError(operation);
      throw error;
    };
  const call = <T>(
    operation: StoreOperation,
    run: () => T | Promise<T>,
    done?: () => void,
  ): T | Promise<T> => {
    let result: T | Promise<T>;
    try {
      result = run();
    } catch (error) {
      return failed(operation)(error);
    }
    if (!(result instanceof Promise)) {
      done?.();
      return result;
    }
    return result.then((value) => {
      done?.();
      return value;
    }, failed(operation));
  };
  const recordFailed = failed('record');
  const acceptOne = (): void => metrics.accepted(1);
  return {
    // The hot path, written out: no closure per event.
    record(userId: string, value: number): void | Promise<void> {
      let result: void | Promise<void>;
      try {
        result = store.record(userId, value);
      } catch (error) {
        return recordFailed(error);
      }
      if (result === undefined) return acceptOne();
      return result.then(acceptOne, recordFailed);
    },
    recordBatch: (events: readonly Event[]) =>
      call(
        'recordBatch',
        () => store.recordBatch(events),
        () => metrics.accepted(events.length),
      ),
    snapshot: () => call('snapshot', () => store.snapshot()),
    reset: () => call('reset', () => store.reset()),
    ...(store.health ? { health: store.health.bind(store) } : {}),
    ...(store.close ? { close: store.close.bind(store) } : {}),
    ...(store.asynchronous === undefined ? {} : { asynchronous: store.asynchronous }),
  };
}
