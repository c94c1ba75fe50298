/**
 * The events a run sends. Event i of a run is a pure function of i, so any split of the
 * range [0, events) across connections or threads sends exactly the same multiset of bodies.
 */
import { positiveInteger } from '@1mrc/core';
import { hardValues } from './hard-pattern.js';

export const PATTERNS = ['seed', 'official', 'hard'] as const;
export type PatternName = (typeof PATTERNS)[number];

export interface EventPattern {
  readonly name: PatternName;
  readonly users: number;
  userId(i: number): string;
  value(i: number): number;
  /** `value(i)` depends only on `i % valuePeriod`. */
  readonly valuePeriod: number;
  /** `userId(i) === userId(j)` exactly when `i ≡ j (mod userPeriod)`. */
  readonly userPeriod: number;
}

export interface PatternOptions {
  /** Events in the run: the `hard` pattern is built for one run's length. */
  readonly events?: number;
  /**
   * Starts every userId instead of `user_`. A run against a server that already holds data uses
   * one of its own, so none of its users can be among the server's and the uniqueUsers delta is exact.
   */
  readonly userPrefix?: string;
}

const VALUE_PERIOD = 1000;

/**
 * `seed`: `{ userId: "user_<i % users>", value: i % 1000 }`, the seed repository's client.
 * `official`: the same users, `value: i % 1000 + 0.5`, so the sum is not an integer.
 * `hard`: values no floating-point accumulator sums right, in any order (see hard-pattern.ts).
 */
export function createPattern(name: PatternName, users: number, options: PatternOptions = {}): EventPattern {
  if (!PATTERNS.includes(name)) {
    throw new TypeError(`Expected pattern to be one of ${PATTERNS.join(', ')}, got ${String(name)}`);
  }
  positiveInteger('users', users);
  const prefix = options.userPrefix ?? 'user_';
  const userId = (i: number): string => `${prefix}${i % users}`;
  if (name === 'hard') {
    const values = hardValues(options.events ?? 1);
    return { name, users, userId, value: values.value, valuePeriod: values.period, userPeriod: users };
  }
  const offset = name === 'official' ? 0.5 : 0;
  return {
    name,
    users,
    userId,
    value: (i) => (i % VALUE_PERIOD) + offset,
    valuePeriod: VALUE_PERIOD,
    userPeriod: users,
  };
}

/** Request k's body, for k in [0, count). */
export interface RequestBodies {
  readonly count: number;
  /** Events in request k. */
  eventsIn(k: number): number;
  body(k: number): Buffer;
  /** `body(k)` is `body(k % period)`: only the first `period` bodies are distinct. */
  readonly period: number;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function eventJson(pattern: EventPattern, i: number): string {
  return JSON.stringify({ userId: pattern.userId(i), value: pattern.value(i) });
}

/** Packs bodies into one buffer so a run holds a handful of objects, not one per request. */
function pack(count: number, text: (k: number) => string): (k: number) => Buffer {
  const parts: Buffer[] = [];
  const offsets = new Float64Array(count + 1);
  for (let k = 0; k < count; k++) {
    const part = Buffer.from(text(k));
    parts.push(part);
    offsets[k + 1] = (offsets[k] as number) + part.length;
  }
  const all = Buffer.concat(parts);
  return (k) => all.subarray(offsets[k], offsets[k + 1]);
}

/**
 * One event per request (`batch` undefined) or `batch` consecutive events per request
 * (the last one may hold fewer). Single-event bodies repeat with the pattern's period, so
 * only one period is built.
 */
export function buildBodies(pattern: EventPattern, events: number, batch?: number): RequestBodies {
  if (batch === undefined) {
    const lcm = (pattern.userPeriod / gcd(pattern.userPeriod, pattern.valuePeriod)) * pattern.valuePeriod;
    const period = Math.max(1, Math.min(events, lcm));
    const at = pack(period, (k) => eventJson(pattern, k));
    return { count: events, eventsIn: () => 1, body: (k) => at(k % period), period };
  }
  const count = Math.ceil(events / batch);
  const eventsIn = (k: number): number => Math.min(batch, events - k * batch);
  const at = pack(count, (k) => {
    const items: string[] = [];
    for (let i = k * batch; i < k * batch + eventsIn(k); i++) items.push(eventJson(pattern, i));
    return `[${items.join(',')}]`;
  });
  return { count, eventsIn, body: at, period: count };
}
