import type { Snapshot } from '@1mrc/core';
import { add, type Dyadic, fromDouble, nearestDouble, ZERO } from '@1mrc/core/oracle';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectedFor, expectedSnapshot, validate } from '../src/expected.js';
import { buildBodies, createPattern, PATTERNS } from '../src/pattern.js';

/** The periodic patterns, whose values are multiples of 0.5; the hard one is checked on its own. */
const patternArb = fc.constantFrom('seed' as const, 'official' as const);

/** Every event visited: the sum in halves (both patterns' values are multiples of 0.5). */
function bruteForce(name: 'seed' | 'official', users: number, events: number) {
  const pattern = createPattern(name, users);
  let halves = 0n;
  const ids = new Set<string>();
  for (let i = 0; i < events; i++) {
    halves += BigInt(pattern.value(i) * 2);
    ids.add(pattern.userId(i));
  }
  return { halves, users: ids.size };
}

describe('expected values', () => {
  it('match a brute-force BigInt sum and a Set of users', () => {
    fc.assert(
      fc.property(
        patternArb,
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 0, max: 200_000 }),
        (name, users, events) => {
          const expected = expectedFor(createPattern(name, users), events);
          const brute = bruteForce(name, users, events);
          const snapshot = expectedSnapshot(expected);
          expect(add(expected.sum, { m: -brute.halves, e: -1 }).m).toBe(0n);
          expect(snapshot).toEqual({
            totalRequests: events,
            uniqueUsers: brute.users,
            // halves < 2^53 here, so Number() is exact and the division is one IEEE rounding.
            sum: Number(brute.halves) / 2,
            avg: events === 0 ? 0 : Number(brute.halves) / (2 * events),
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('match a brute-force exact sum for the hard pattern', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 20_000 }), (users, events) => {
        const pattern = createPattern('hard', users, { events });
        let sum: Dyadic = ZERO;
        for (let i = 0; i < events; i++) sum = add(sum, fromDouble(pattern.value(i)));
        const expected = expectedFor(pattern, events).sum;
        expect(add(expected, { m: -sum.m, e: sum.e }).m).toBe(0n);
      }),
      { numRuns: 20 },
    );
  });

  it('gives the seed challenge 499,500,000 and 499.5 for a million events', () => {
    // The one figure the issue states; computed, then compared.
    expect(expectedSnapshot(expectedFor(createPattern('seed', 75_000), 1_000_000))).toEqual({
      totalRequests: 1_000_000,
      uniqueUsers: 75_000,
      sum: 499_500_000,
      avg: 499.5,
    });
  });

  it('builds exactly the pattern, single or batched', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PATTERNS),
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.option(fc.integer({ min: 1, max: 700 }), { nil: undefined }),
        (name, users, events, batch) => {
          const pattern = createPattern(name, users, { events: Math.max(events, 1) });
          const bodies = buildBodies(pattern, events, batch);
          const sent: unknown[] = [];
          for (let k = 0; k < bodies.count; k++) {
            const json: unknown = JSON.parse(bodies.body(k).toString());
            const items = batch === undefined ? [json] : (json as unknown[]);
            expect(items).toHaveLength(bodies.eventsIn(k));
            sent.push(...items);
          }
          expect(sent).toEqual(
            Array.from({ length: events }, (_, i) => ({
              userId: pattern.userId(i),
              value: pattern.value(i),
            })),
          );
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('validate', () => {
  const pattern = createPattern('official', 50);
  const expected = expectedFor(pattern, 1234);
  const want = expectedSnapshot(expected);
  const zero: Snapshot = { totalRequests: 0, uniqueUsers: 0, sum: 0, avg: 0 };

  it('passes a fresh server that is exactly right', () => {
    const result = validate(expected, zero, want);
    expect(result).toMatchObject({ ok: true, fresh: true });
  });

  it.each(['totalRequests', 'uniqueUsers', 'sum', 'avg'] as const)(
    'fails %s off by the smallest step',
    (field) => {
      const step = field === 'sum' || field === 'avg' ? Number.EPSILON * want[field] : 1;
      const result = validate(expected, zero, { ...want, [field]: want[field] + step });
      expect(result.ok).toBe(false);
      expect(result.checks.filter((c) => !c.ok).map((c) => c.field)).toEqual([field]);
    },
  );

  // A server that already holds events: its exact state is any list of doubles; before and
  // after are what it shows, rounded once each.
  const stateArb = fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }), {
    minLength: 1,
    maxLength: 20,
  });
  const showing = (count: number, users: number, sum: Dyadic): Snapshot => ({
    totalRequests: count,
    uniqueUsers: users,
    sum: nearestDouble(sum),
    avg: nearestDouble(sum, BigInt(count)),
  });

  it('accepts what a correct non-fresh server shows, however its earlier sum was rounded', () => {
    fc.assert(
      fc.property(stateArb, fc.integer({ min: 0, max: 60 }), (values, overlap) => {
        const prior = values.reduce<Dyadic>((s, v) => add(s, fromDouble(v)), ZERO);
        const priorUsers = values.length;
        const before = showing(values.length, priorUsers, prior);
        // Some of the run's users may be among the prior ones.
        const users = priorUsers + expected.uniqueUsers - Math.min(overlap, priorUsers, expected.uniqueUsers);
        const after = showing(values.length + expected.events, users, add(prior, expected.sum));
        const result = validate(expected, before, after);
        expect(result.fresh).toBe(false);
        expect(result.checks.filter((c) => !c.ok)).toEqual([]);
      }),
    );
  });

  it('rejects a non-fresh server whose sum is outside every possible rounding', () => {
    fc.assert(
      fc.property(stateArb, (values) => {
        const prior = values.reduce<Dyadic>((s, v) => add(s, fromDouble(v)), ZERO);
        const before = showing(values.length, values.length, prior);
        const right = showing(values.length + expected.events, values.length + 50, add(prior, expected.sum));
        const check = validate(expected, before, right).checks.find((c) => c.field === 'sum');
        const hi = check?.range?.[1] ?? right.sum;
        const wrong = { ...right, sum: hi + Math.max(Math.abs(hi) * Number.EPSILON, Number.MIN_VALUE) * 2 };
        const result = validate(expected, before, wrong);
        expect(result.ok).toBe(false);
        expect(result.checks.filter((c) => !c.ok).map((c) => c.field)).toEqual(['sum']);
      }),
    );
  });

  it('says uniqueUsers is only bounded when users existed before', () => {
    const before: Snapshot = { totalRequests: 10, uniqueUsers: 10, sum: 5, avg: 0.5 };
    const result = validate(expected, before, {
      ...before,
      totalRequests: 10 + expected.events,
      uniqueUsers: 5,
    });
    const users = result.checks.find((c) => c.field === 'uniqueUsers');
    expect(users).toMatchObject({ ok: false, range: [50, 60] });
    expect(users?.note).toMatch(/only bounds: the server already had 10 users/);
  });
});
