import { type EventError, StatsError, withIndex } from './errors.js';
import { ExactSum, type ExactSumState } from './exact-sum.js';
import { assertEvent, DEFAULT_LIMITS, positiveInteger } from './parse-event.js';
import type { Event, EventStore, Snapshot } from './types.js';
import { UserSet } from './user-set.js';

export interface StatsOptions {
  /** Longest accepted `userId`, in UTF-8 bytes: a positive safe integer. Default 256. */
  readonly maxUserIdBytes?: number;
  /**
   * Most distinct users the engine holds: a positive safe integer. Past it a new user's event
   * is refused with a `StatsError` `TOO_MANY_USERS` (HTTP 507) and changes nothing; known users
   * keep being counted. Default: no limit but memory.
   */
  readonly maxUsers?: number;
}

/** Everything a shard knows, in a form `structuredClone` and `postMessage` carry. */
export interface StatsState {
  readonly totalRequests: number;
  /** The distinct user ids, each once. */
  readonly users: readonly string[];
  readonly sum: ExactSumState;
}

/**
 * The in-memory engine. Every operation applies a whole event, batch or state, or nothing:
 * whatever it throws, the engine is left as it was.
 */
export interface Stats extends EventStore {
  /**
   * Counts one event. Throws a `StatsError` and counts nothing for an invalid event
   * (`INVALID_EVENT`) or a new user past `maxUsers` (`TOO_MANY_USERS`).
   */
  record(userId: string, value: number): void;
  /**
   * Counts every event or none. A `StatsError` names the index of the first invalid event, or
   * of the first event whose new user would pass `maxUsers`.
   */
  recordBatch(events: readonly Event[]): void;
  /** Counts, distinct users, and the correctly rounded exact sum and average, at this instant. */
  snapshot(): Snapshot;
  /** Forgets every event and user. */
  reset(): void;
  /** The whole state, exact, for `mergeState` in another engine (a worker's shard, a test). */
  exportState(): StatsState;
  /**
   * Adds a shard's state: the result equals one engine fed both shards' events. A malformed
   * state throws a `TypeError`; a state whose new users would pass `maxUsers` is refused whole
   * with a `StatsError` `TOO_MANY_USERS`. Either way nothing changes.
   */
  mergeState(state: StatsState): void;
}

/**
 * What an engine commits its events to. `createStats` uses a `UserSet` and an `ExactSum`;
 * the fault-injection test wraps them to make any step throw. Package-internal.
 */
export interface EngineParts {
  readonly users: Pick<UserSet, 'size' | 'add' | 'has' | 'delete' | 'clear' | 'toArray'>;
  readonly sum: Pick<ExactSum, 'add' | 'merge' | 'value' | 'divide' | 'reset' | 'export'>;
}

/**
 * Creates the exact, order-independent stats engine of the challenge: `totalRequests`,
 * `uniqueUsers`, and the exact sum and average, rounded once when read (see `ExactSum`).
 * Distinct users are limited by memory alone unless `maxUsers` is set.
 *
 * @throws TypeError if an option is not a positive safe integer (the message quotes it).
 */
export function createStats(options: StatsOptions = {}): Stats {
  return createStatsOn({ users: new UserSet(), sum: new ExactSum() }, options);
}

/**
 * `createStats` on given parts. Package-internal (not exported from the package): the seam
 * through which the atomicity test injects failures.
 *
 * Each operation validates everything first, then commits; the commit adds users first,
 * remembering which were new, and on any throw undoes what it applied (deleting the new users,
 * adding −x for each x summed: exact, so the sum is back to the same exact value and state).
 */
export function createStatsOn(parts: EngineParts, options: StatsOptions = {}): Stats {
  const maxUserIdBytes = positiveInteger(
    'maxUserIdBytes',
    options.maxUserIdBytes,
    DEFAULT_LIMITS.maxUserIdBytes,
  );
  const maxUsers = positiveInteger('maxUsers', options.maxUsers, Number.POSITIVE_INFINITY);
  const capped = maxUsers !== Number.POSITIVE_INFINITY;
  const { users, sum } = parts;
  let totalRequests = 0;

  const check = (userId: unknown, value: unknown, index?: number): void =>
    assertEvent(userId, value, maxUserIdBytes, index);

  const tooManyUsers = (what: string, index?: number): StatsError => {
    const error: EventError = {
      code: 'TOO_MANY_USERS',
      message: `${what}: it would take the engine past maxUsers (${maxUsers}) distinct users`,
    };
    return new StatsError(index === undefined ? error : withIndex(error, index));
  };

  /** The index of the first id that would be a new user past `maxUsers`, or -1. */
  const firstPastCap = (ids: readonly string[]): number => {
    const room = maxUsers - users.size;
    const fresh = new UserSet(); // a state may bring more than a plain Set holds
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (users.has(id) || fresh.has(id)) continue;
      if (fresh.size >= room) return i;
      fresh.add(id);
    }
    return -1;
  };

  const forget = (added: readonly string[]): void => {
    for (const id of added) users.delete(id);
  };

  return {
    record(userId, value) {
      check(userId, value);
      if (capped && users.size >= maxUsers && !users.has(userId)) throw tooManyUsers('a new user is refused');
      const added = users.add(userId);
      try {
        sum.add(value);
      } catch (error) {
        if (added) users.delete(userId);
        throw error;
      }
      totalRequests++;
    },
    recordBatch(events) {
      for (let i = 0; i < events.length; i++) {
        const event = events[i];
        check(event?.userId, event?.value, i);
      }
      if (capped) {
        const past = firstPastCap(events.map((event) => event.userId));
        if (past !== -1) throw tooManyUsers('a new user is refused', past);
      }
      const added: string[] = [];
      let summed = 0;
      try {
        for (const { userId } of events) if (users.add(userId)) added.push(userId);
        for (; summed < events.length; summed++) sum.add(events[summed]!.value);
      } catch (error) {
        for (let i = 0; i < summed; i++) sum.add(-events[i]!.value);
        forget(added);
        throw error;
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
      return { totalRequests, users: users.toArray(), sum: sum.export() };
    },
    mergeState(state) {
      const { totalRequests: count, users: ids } = state;
      if (
        !Number.isSafeInteger(count) ||
        count < 0 ||
        !Number.isSafeInteger(totalRequests + count) ||
        !Array.isArray(ids) ||
        !ids.every(isString)
      ) {
        throw new TypeError('Expected a StatsState: a count and a list of user ids');
      }
      if (capped && firstPastCap(ids) !== -1) throw tooManyUsers(`merging ${ids.length} users is refused`);
      const added: string[] = [];
      try {
        for (const id of ids) if (users.add(id)) added.push(id);
        sum.merge(state.sum); // validates the sum state, and changes nothing if it throws
      } catch (error) {
        forget(added);
        throw error;
      }
      totalRequests += count;
    },
  };
}

const isString = (value: unknown): value is string => typeof value === 'string';
