/**
 * What /stats must say after a run, computed exactly from the events the run sends, and the
 * comparison of that with what the server said.
 */
import type { Snapshot } from '@1mrc/core';
import { add, type Dyadic, fromDouble, nearestDouble, times, ZERO } from '@1mrc/core/oracle';
import { roundingInterval } from './exact.js';
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
   * When only bounds can be checked: every value a correct server may show (for sum and avg on
   * a server that was not fresh: the "before" figures were themselves rounded).
   */
  readonly range?: readonly [number, number];
  readonly note?: string;
  /** For a wrong sum or avg: how many doubles lie between the answer and the nearest right one. */
  readonly ulpsOff?: number;
  /** For a wrong sum or avg: |actual - expected| / |expected|. */
  readonly relativeError?: number;
}

export interface Validation {
  readonly ok: boolean;
  /** The server had no events before the run (totalRequests 0), so every field is checked exactly. */
  readonly fresh: boolean;
  /** Rules every snapshot must obey on its own, broken by the one before or after the run. */
  readonly snapshotProblems: readonly string[];
  readonly checks: readonly FieldCheck[];
}

const view = new DataView(new ArrayBuffer(8));

/** Doubles in order as integers: the distance between two is the number of ulps between them. */
function ordinal(x: number): bigint {
  view.setFloat64(0, x);
  const bits = view.getBigInt64(0);
  return bits < 0n ? -(bits & 0x7fff_ffff_ffff_ffffn) : bits;
}

/** How many ulps `actual` lies outside [lo, hi]. */
export function ulpsBetween(actual: number, lo: number, hi: number): number {
  const a = ordinal(actual);
  const gap = a < ordinal(lo) ? ordinal(lo) - a : a - ordinal(hi);
  return Number(gap > 0n ? gap : 0n);
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
  if (lo === hi) return exact(field, expected, actual, note);
  return {
    field,
    ok: actual >= lo && actual <= hi,
    actual,
    expected,
    range: [lo, hi],
    ...(note ? { note } : {}),
  };
}

/** A wrong sum or avg says how wrong: ulps from the accepted values, and the relative error. */
function measured(check: FieldCheck): FieldCheck {
  if (check.ok || (check.field !== 'sum' && check.field !== 'avg') || !Number.isFinite(check.actual)) {
    return check;
  }
  const [lo, hi] = check.range ?? [check.expected, check.expected];
  const relativeError =
    check.expected === 0
      ? Number.POSITIVE_INFINITY
      : Math.abs(check.actual - check.expected) / Math.abs(check.expected);
  return { ...check, ulpsOff: ulpsBetween(check.actual, lo, hi), relativeError };
}

const COUNTS = ['totalRequests', 'uniqueUsers'] as const;

/**
 * The rules one snapshot obeys whatever the events were: counts are non-negative safe integers,
 * sum and avg finite numbers, nothing but zeros before the first event, no more users than
 * events, and avg the rounding of (the exact sum that `sum` rounds) / totalRequests.
 */
export function snapshotProblems(s: Snapshot): string[] {
  const problems: string[] = [];
  for (const field of COUNTS) {
    if (Number.isNaN(s[field])) problems.push(`${field} is missing or not a JSON number`);
    else if (!Number.isSafeInteger(s[field]) || s[field] < 0) {
      problems.push(`${field} is ${s[field]}, not a non-negative integer`);
    }
  }
  for (const field of ['sum', 'avg'] as const) {
    if (!Number.isFinite(s[field])) problems.push(`${field} is missing or not a finite JSON number`);
  }
  if (problems.length > 0) return problems;
  if (s.totalRequests === 0) {
    const nonZero = FIELDS.filter((f) => s[f] !== 0);
    if (nonZero.length > 0)
      problems.push(`totalRequests is 0 but ${nonZero.map((f) => `${f} is ${s[f]}`).join(', ')}`);
    return problems;
  }
  if (s.uniqueUsers > s.totalRequests) {
    problems.push(`uniqueUsers ${s.uniqueUsers} is more than totalRequests ${s.totalRequests}`);
  }
  if (s.uniqueUsers === 0) problems.push(`uniqueUsers is 0 but totalRequests is ${s.totalRequests}`);
  const [lo, hi] = roundingInterval(s.sum);
  const n = BigInt(s.totalRequests);
  const [avgLo, avgHi] = [nearestDouble(lo, n), nearestDouble(hi, n)];
  if (!(s.avg >= avgLo && s.avg <= avgHi)) {
    const range = avgLo === avgHi ? String(avgLo) : `${avgLo} .. ${avgHi}`;
    problems.push(
      `avg ${s.avg} is not sum / totalRequests (${s.sum} / ${s.totalRequests} rounds to ${range})`,
    );
  }
  return problems;
}

export interface ValidateOptions {
  /**
   * The run's userIds cannot be among the server's (a run-unique prefix), so on a server that
   * was not fresh uniqueUsers must grow by exactly the run's users. Default false: bounds only.
   */
  readonly usersAreNew?: boolean;
}

/**
 * Compares the server's /stats after the run with what it must be, given its /stats before.
 * Both snapshots must first pass `snapshotProblems`.
 *
 * Fresh server (totalRequests 0 before): every field must equal the expected snapshot exactly.
 *
 * Otherwise the run's effect is checked. `totalRequests` must grow by exactly the events sent.
 * `sum` must be the double nearest to (before.sum + the exact sum sent); since before.sum is
 * itself a rounding of the server's exact state, any result of rounding (x + sent) for x in
 * before.sum's rounding interval is accepted, which is one or two doubles in practice. `avg`
 * likewise, divided by the new total. `uniqueUsers` must grow by exactly the run's users when
 * they are new to the server (`usersAreNew`); otherwise only max(before, sent) .. before + sent
 * can be checked.
 */
export function validate(
  expected: Expected,
  before: Snapshot,
  after: Snapshot,
  options: ValidateOptions = {},
): Validation {
  const snapshot = [
    ...snapshotProblems(before).map((p) => `before the run: ${p}`),
    ...snapshotProblems(after).map((p) => `after the run: ${p}`),
  ];
  const want = expectedSnapshot(expected);
  const fresh = before.totalRequests === 0;
  let checks: FieldCheck[];
  if (fresh) {
    checks = [
      exact('totalRequests', want.totalRequests, after.totalRequests),
      exact('uniqueUsers', want.uniqueUsers, after.uniqueUsers),
      exact('sum', want.sum, after.sum),
      exact('avg', want.avg, after.avg),
    ];
  } else checks = changeChecks(expected, before, after, options);
  checks = checks.map(measured);
  const ok = snapshot.length === 0 && checks.every((c) => c.ok);
  return { ok, fresh, snapshotProblems: snapshot, checks };
}

function changeChecks(
  expected: Expected,
  before: Snapshot,
  after: Snapshot,
  options: ValidateOptions,
): FieldCheck[] {
  const total = before.totalRequests + expected.events;
  // A before.sum that is not a finite number was already reported; nothing sensible follows from it.
  const beforeSum = Number.isFinite(before.sum) ? before.sum : 0;
  const [lo, hi] = roundingInterval(beforeSum).map((x) => add(x, expected.sum)) as [Dyadic, Dyadic];
  const sumAt = (x: Dyadic): number => nearestDouble(x);
  const avgAt = (x: Dyadic): number => (total === 0 ? 0 : nearestDouble(x, BigInt(total)));
  const afterExact = add(fromDouble(beforeSum), expected.sum);
  const roundingNote = 'any value in range is right: before.sum was itself rounded';
  const users = before.uniqueUsers + expected.uniqueUsers;
  return [
    exact('totalRequests', total, after.totalRequests, `before: ${before.totalRequests}`),
    options.usersAreNew
      ? exact(
          'uniqueUsers',
          users,
          after.uniqueUsers,
          `before: ${before.uniqueUsers}; this run's userIds are new`,
        )
      : within(
          'uniqueUsers',
          users,
          [Math.max(before.uniqueUsers, expected.uniqueUsers), users],
          after.uniqueUsers,
          `only bounds: the server already had ${before.uniqueUsers} users, and this run's may be among them`,
        ),
    within('sum', sumAt(afterExact), [sumAt(lo), sumAt(hi)], after.sum, roundingNote),
    within('avg', avgAt(afterExact), [avgAt(lo), avgAt(hi)], after.avg, roundingNote),
  ];
}
