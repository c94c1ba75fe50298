/**
 * What /stats must say after a run, computed exactly from the events the run sends, and the
 * comparison of that with what the server said.
 */
import type { Snapshot } from '@1mrc/core';
import { add, type Dyadic, fromDouble, nearestDouble, roundingInterval, times, ZERO } from './exact.js';
import type { EventPattern } from './pattern.js';

/** The exact effect of events [0, events) of a pattern on a server's stats. */
export interface Expected {
  readonly events: number;
  readonly uniqueUsers: number;
  /** The exact sum of the values sent. */
  readonly sum: Dyadic;
}

/**
 * Uses the pattern's periods instead of visiting every event: value(r) occurs once per
 * full value period plus once more if r falls in the partial period at the end, and the
 * users are the distinct residues modulo the user period.
 */
export function expectedFor(pattern: EventPattern, events: number): Expected {
  if (!Number.isSafeInteger(events) || events < 0) {
    throw new TypeError(`Expected events to be a non-negative integer, got ${String(events)}`);
  }
  const period = pattern.valuePeriod;
  let sum = ZERO;
  for (let r = 0; r < Math.min(period, events); r++) {
    const count = Math.floor((events - 1 - r) / period) + 1;
    sum = add(sum, times(fromDouble(pattern.value(r)), BigInt(count)));
  }
  return { events, uniqueUsers: Math.min(pattern.userPeriod, events), sum };
}

/** The /stats a fresh, correct server shows after exactly these events. */
export function expectedSnapshot(expected: Expected): Snapshot {
  return {
    totalRequests: expected.events,
    uniqueUsers: expected.uniqueUsers,
    sum: nearestDouble(expected.sum),
    avg: expected.events === 0 ? 0 : nearestDouble(expected.sum, BigInt(expected.events)),
  };
}

export const FIELDS = ['totalRequests', 'uniqueUsers', 'sum', 'avg'] as const;
export type Field = (typeof FIELDS)[number];

export interface FieldCheck {
  readonly field: Field;
  readonly ok: boolean;
  readonly actual: number;
  /** The value a correct server shows. */
  readonly expected: number;
  /**
   * When the server was not fresh: every value a correct server may show, given that
   * the "before" figures were themselves rounded. Absent when only `expected` is right.
   */
  readonly range?: readonly [number, number];
  readonly note?: string;
}

export interface Validation {
  readonly ok: boolean;
  /** The server had no events before the run, so every field is checked exactly. */
  readonly fresh: boolean;
  readonly checks: readonly FieldCheck[];
}

function isZero(s: Snapshot): boolean {
  return s.totalRequests === 0 && s.uniqueUsers === 0 && s.sum === 0 && s.avg === 0;
}

function exact(field: Field, expected: number, actual: number, note?: string): FieldCheck {
  return { field, ok: actual === expected, actual, expected, ...(note ? { note } : {}) };
}

function within(
  field: Field,
  expected: number,
  [lo, hi]: readonly [number, number],
  actual: number,
  note?: string,
): FieldCheck {
  if (lo === hi) return exact(field, expected, actual);
  return {
    field,
    ok: actual >= lo && actual <= hi,
    actual,
    expected,
    range: [lo, hi],
    ...(note ? { note } : {}),
  };
}

/**
 * Compares the server's /stats after the run with what it must be, given its /stats before.
 *
 * Fresh server (all zero before): every field must equal the expected snapshot exactly.
 *
 * Otherwise the run's effect is checked. `totalRequests` must grow by exactly the events sent.
 * `sum` must be the double nearest to (before.sum + the exact sum sent); since before.sum is
 * itself a rounding of the server's exact state, any result of rounding (x + sent) for x in
 * before.sum's rounding interval is accepted, which is one or two doubles in practice. `avg`
 * likewise, divided by the new total. `uniqueUsers` cannot be checked exactly when users
 * already existed (the run's users may or may not be among them); it is checked against the
 * bounds max(before, sent) .. before + sent.
 */
export function validate(expected: Expected, before: Snapshot, after: Snapshot): Validation {
  const want = expectedSnapshot(expected);
  if (isZero(before)) {
    const checks = [
      exact('totalRequests', want.totalRequests, after.totalRequests),
      exact('uniqueUsers', want.uniqueUsers, after.uniqueUsers),
      exact('sum', want.sum, after.sum),
      exact('avg', want.avg, after.avg),
    ];
    return { ok: checks.every((c) => c.ok), fresh: true, checks };
  }

  const total = before.totalRequests + expected.events;
  const beforeSum = fromDouble(before.sum);
  const [lo, hi] = roundingInterval(before.sum).map((x) => add(x, expected.sum)) as [Dyadic, Dyadic];
  const sumAt = (x: Dyadic): number => nearestDouble(x);
  const avgAt = (x: Dyadic): number => (total === 0 ? 0 : nearestDouble(x, BigInt(total)));
  const afterExact = add(beforeSum, expected.sum);
  const roundingNote = 'any value in range is right: before.sum was itself rounded';

  const checks: FieldCheck[] = [
    exact('totalRequests', total, after.totalRequests, `before: ${before.totalRequests}`),
    before.uniqueUsers === 0
      ? exact('uniqueUsers', expected.uniqueUsers, after.uniqueUsers)
      : {
          ...within(
            'uniqueUsers',
            before.uniqueUsers + expected.uniqueUsers,
            [Math.max(before.uniqueUsers, expected.uniqueUsers), before.uniqueUsers + expected.uniqueUsers],
            after.uniqueUsers,
          ),
          note: `cannot be checked exactly: the server already had ${before.uniqueUsers} users, so only bounds are checked`,
        },
    within('sum', sumAt(afterExact), [sumAt(lo), sumAt(hi)], after.sum, roundingNote),
    within('avg', avgAt(afterExact), [avgAt(lo), avgAt(hi)], after.avg, roundingNote),
  ];
  return { ok: checks.every((c) => c.ok), fresh: false, checks };
}
