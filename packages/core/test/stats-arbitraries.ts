/** Shared generators and checks for the stats engine's property and model tests. */
import fc from 'fast-check';
import { expect } from 'vitest';
import { sumAndAverage } from '../src/oracle.js';
import type { Event, Snapshot } from '../src/types.js';

const anyDouble = fc.double({ noNaN: true, noDefaultInfinity: true });

/** User ids that collide often (a small pool) and some that are rare or unusual. */
export const userIdArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('a', 'b', 'user_1', 'user_74999', 'é', '😀') },
  {
    weight: 1,
    arbitrary: fc
      .string({ minLength: 1, maxLength: 12, unit: 'grapheme' })
      .filter((s) => Buffer.byteLength(s) <= 256),
  },
);

/** Challenge-like integers, any double, and doubles of one band that interact. */
export const valueArb: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 0, max: 999 }),
  anyDouble,
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -0, 2 ** 53, 1),
);

export const eventArb: fc.Arbitrary<Event> = fc.record({ userId: userIdArb, value: valueArb });

/** Events the engine must refuse, each with the reason it is bad. */
export const badEventArb: fc.Arbitrary<{ userId: unknown; value: unknown }> = fc.constantFrom(
  { userId: 'u', value: Number.NaN },
  { userId: 'u', value: Number.POSITIVE_INFINITY },
  { userId: 'u', value: Number.NEGATIVE_INFINITY },
  { userId: 'u', value: '1' },
  { userId: 'u', value: undefined },
  { userId: 'u', value: null },
  { userId: '', value: 1 },
  { userId: 42, value: 1 },
  { userId: undefined, value: 1 },
  { userId: 'x'.repeat(257), value: 1 },
  { userId: 'é'.repeat(129), value: 1 },
  { userId: '\ud800', value: 1 },
);

/** What a snapshot of exactly these accepted events must say. */
export function referenceSnapshot(events: readonly Event[]): Snapshot {
  const { sum, avg } = sumAndAverage(events.map((e) => e.value));
  return {
    totalRequests: events.length,
    uniqueUsers: new Set(events.map((e) => e.userId)).size,
    sum,
    avg,
  };
}

/** Equal snapshots, with sum and avg compared bit for bit (`Object.is`: -0 is not 0). */
export function expectSameSnapshot(actual: Snapshot, expected: Snapshot): void {
  expect(actual.totalRequests).toBe(expected.totalRequests);
  expect(actual.uniqueUsers).toBe(expected.uniqueUsers);
  expect(Object.is(actual.sum, expected.sum), `sum ${actual.sum} vs ${expected.sum}`).toBe(true);
  expect(Object.is(actual.avg, expected.avg), `avg ${actual.avg} vs ${expected.avg}`).toBe(true);
}
