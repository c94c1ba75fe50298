import { type EventError, StatsError, withIndex } from './errors.js';
import { ExactSum, type ExactSumState } from './exact-sum.js';
import { DEFAULT_LIMITS, positiveInteger, validateEvent } from './parse-event.js';
import type { Event, EventStore, Snapshot } from './types.js';

export interface StatsOptions {
  /** Longest accepted `userId`, in UTF-8 bytes. Default 256. */
  readonly maxUserIdBytes?: number;
}

/** Everything a shard knows, in a form `structuredClone` and `postMessage` carry. */
export interface StatsState {
  readonly totalRequests: number;
  readonly users: readonly string[];
  readonly sum: ExactSumState;
}

export interface Stats extends EventStore {
  /** Counts one event. Throws a `StatsError` (and counts nothing) for an invalid one. */
  record(userId: string, value: number): void;
  /** Counts every event or, if any is invalid, none; the error names the first bad index. */
  recordBatch(events: readonly Event[]): void;
  snapshot(): Snapshot;
  reset(): void;
  exportState(): StatsState;
  /** Adds a shard's state: the result equals one engine fed both shards' events. */
  mergeState(state: StatsState): void;
}

export function createStats(options: StatsOptions = {}): Stats {
  const maxUserIdBytes = positiveInteger(
    'maxUserIdBytes',
    options.maxUserIdBytes,
    DEFAULT_LIMITS.maxUserIdBytes,
  );
  let totalRequests = 0;
  const users = new Set<string>();
  const sum = new ExactSum();

  const check = (userId: unknown, value: unknown, index?: number): void => {
    const error: EventError | undefined = validateEvent(userId, value, maxUserIdBytes);
    if (error) throw new StatsError(index === undefined ? error : withIndex(error, index));
  };

  return {
    record(userId, value) {
      check(userId, value);
      totalRequests++;
      users.add(userId);
      sum.add(value);
    },
    recordBatch(events) {
      for (let i = 0; i < events.length; i++) {
        const event = events[i];
        check(event?.userId, event?.value, i);
      }
      for (const { userId, value } of events) {
        users.add(userId);
        sum.add(value);
      }
      totalRequests += events.length;
    },
    snapshot() {
      return {
        totalRequests,
        uniqueUsers: users.size,
        sum: sum.value(),
        avg: sum.divide(totalRequests),
      };
    },
    reset() {
      totalRequests = 0;
      users.clear();
      sum.reset();
    },
    exportState() {
      return { totalRequests, users: [...users], sum: sum.export() };
    },
    mergeState(state) {
      // Check everything before changing anything: `sum.merge` validates the sum state.
      const { totalRequests: count, users: ids } = state;
      if (!Number.isSafeInteger(count) || count < 0 || !Array.isArray(ids) || !ids.every(isString)) {
        throw new TypeError('Expected a StatsState: a count and a list of user ids');
      }
      sum.merge(state.sum);
      totalRequests += count;
      for (const user of ids) users.add(user);
    },
  };
}

const isString = (value: unknown): value is string => typeof value === 'string';
