/**
 * The BigInt oracle against facts that do not come from it: IEEE 754 makes one `+`, one `/`,
 * one `*` and `Number(bigint)` correctly rounded (ties to even), so where a single hardware
 * operation computes the same real number, its result is the answer. Infinity maps to
 * ±MAX_VALUE and −0 to +0, the documented decisions. The edges are spelled out as literals
 * derived by hand from the IEEE format (2^1024 − 2^970 is the overflow threshold: half an ulp
 * above MAX_VALUE).
 *
 * A failing property prints `{ seed, path }`; replay it with
 * `FC_SEED=<seed> FC_PATH=<path> pnpm vitest run packages/core/test/oracle.test.ts -t "<name>"`.
 */

import { fcParams } from '@1mrc/testkit/fc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  add,
  type Dyadic,
  exactSum,
  fromDouble,
  nearestDouble,
  sumAndAverage,
  times,
  ZERO,
} from '../src/oracle.js';

const MAX = Number.MAX_VALUE;
const MIN = Number.MIN_VALUE;
const anyDouble = fc.double({ noNaN: true, noDefaultInfinity: true });
const bandDouble = fc
  .integer({ min: -1074, max: 1023 })
  .chain((e) => fc.double({ min: -(2 ** e) * 2, max: 2 ** e * 2, noNaN: true }))
  .filter(Number.isFinite);
/** What the engine must answer where IEEE hardware answers `x`. */
const saturated = (x: number): number => (Number.isFinite(x) ? x + 0 : Math.sign(x) * MAX);
const same = (a: number, b: number): boolean => Object.is(a, b);
const pow2 = (k: number): Dyadic => ({ m: 1n, e: k });
const neg = (a: Dyadic): Dyadic => ({ m: -a.m, e: a.e });

describe('oracle: fromDouble', () => {
  it('is exact: integral doubles equal BigInt(x), and x·2^k is integral for the right k', () => {
    fc.assert(
      fc.property(anyDouble, (x) => {
        const { m, e } = fromDouble(x);
        if (Number.isInteger(x)) return (e >= 0 ? m << BigInt(e) : m >> BigInt(-e)) === BigInt(x);
        // A non-integer x = m·2^e with e < 0 and m odd: x·2^-e (a power-of-two scaling, exact
        // for a normal result) is the odd integer m.
        return e < 0 && (m & 1n) === 1n && (-e > 1023 || BigInt(x * 2 ** -e) === m);
      }),
      fcParams(2000),
    );
  });

  it('reads subnormals and the extremes bit for bit', () => {
    expect(fromDouble(MIN)).toEqual({ m: 1n, e: -1074 });
    expect(fromDouble(-MIN * 3)).toEqual({ m: -3n, e: -1074 });
    expect(fromDouble(2 ** -1022)).toEqual({ m: 1n, e: -1022 });
    expect(fromDouble(MAX)).toEqual({ m: 2n ** 53n - 1n, e: 971 });
    expect(fromDouble(-0)).toEqual(ZERO);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => fromDouble(bad)).toThrow(RangeError);
    }
  });
});

describe('oracle: nearestDouble', () => {
  it('round-trips every double (−0 reads +0)', () => {
    fc.assert(
      fc.property(anyDouble, (x) => same(nearestDouble(fromDouble(x)), x + 0)),
      fcParams(2000),
    );
  });

  it('rounds a two-term sum as IEEE addition does', () => {
    fc.assert(
      fc.property(fc.oneof(anyDouble, bandDouble), fc.oneof(anyDouble, bandDouble), (a, b) =>
        same(nearestDouble(add(fromDouble(a), fromDouble(b))), saturated(a + b)),
      ),
      fcParams(2000),
    );
  });

  it('rounds x / n as IEEE division does (the average of one value over any count)', () => {
    fc.assert(
      fc.property(anyDouble, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (x, n) =>
        same(nearestDouble(fromDouble(x), BigInt(n)), saturated(x / n)),
      ),
      fcParams(2000),
    );
  });

  it('rounds big integers as Number(bigint) does, saturating past the range', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 1100n), max: 2n ** 1100n }), (n) =>
        same(nearestDouble({ m: n, e: 0 }), saturated(Number(n))),
      ),
      fcParams(1000),
    );
  });

  it('rounds exact ties to even, normal and subnormal', () => {
    // Halfway between two doubles: m·2^s + 2^(s−1) with m of 53 bits. Number(bigint) rounds
    // ties to even, and the power-of-two scaling after it is exact in the normal range.
    const tie = fc
      .tuple(
        fc.bigInt({ min: 2n ** 52n, max: 2n ** 53n - 1n }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
      )
      .map(([m, s, negative]) => ((m << BigInt(s)) | (1n << BigInt(s - 1))) * (negative ? -1n : 1n));
    fc.assert(
      fc.property(tie, fc.integer({ min: -1100, max: 930 }), (m, e) => {
        const expected = Number(m) * 2 ** e;
        fc.pre(Number.isFinite(expected) && Math.abs(expected) >= 2 ** -1022);
        return same(nearestDouble({ m, e }), expected);
      }),
      fcParams(1000),
    );
    // 2^53 + 1 is halfway between 2^53 and 2^53 + 2: even is 2^53; 2^53 + 3 goes up to 2^53 + 4.
    expect(nearestDouble({ m: 2n ** 53n + 1n, e: 0 })).toBe(2 ** 53);
    expect(nearestDouble({ m: 2n ** 53n + 3n, e: 0 })).toBe(2 ** 53 + 4);
    // Subnormal ties, against hardware multiplication: MIN/2 → 0 (even), 3·MIN/2 → 2·MIN.
    expect(same(nearestDouble({ m: 1n, e: -1075 }), MIN * 0.5 + 0)).toBe(true);
    expect(same(nearestDouble({ m: 1n, e: -1075 }), 0)).toBe(true);
    expect(nearestDouble({ m: 3n, e: -1075 })).toBe(MIN * 1.5);
    expect(nearestDouble({ m: 3n, e: -1075 })).toBe(2 * MIN);
    expect(nearestDouble({ m: 5n, e: -1075 })).toBe(MIN * 2.5);
    // Just past half of MIN rounds up, just below it rounds to +0 (also for negative values).
    expect(nearestDouble({ m: 2n ** 60n + 1n, e: -1135 })).toBe(MIN);
    expect(same(nearestDouble({ m: -(2n ** 60n - 1n), e: -1135 }), 0)).toBe(true);
    // The largest subnormal plus half its ulp is a tie into the smallest normal (even).
    expect(nearestDouble(add(fromDouble(2 ** -1022 - MIN), { m: 1n, e: -1075 }))).toBe(2 ** -1022);
  });

  it('saturates at the overflow threshold 2^1024 − 2^970, and not below it', () => {
    const threshold = add(pow2(1024), neg(pow2(970)));
    const tiny = pow2(-1074);
    // Independent facts: IEEE rounds MAX + 2^970 (the threshold) to Infinity, and anything
    // below the threshold to MAX.
    expect(MAX + 2 ** 970).toBe(Number.POSITIVE_INFINITY);
    expect(MAX + 2 ** 969).toBe(MAX);
    expect(nearestDouble(threshold)).toBe(MAX);
    expect(nearestDouble(neg(threshold))).toBe(-MAX);
    expect(nearestDouble(add(threshold, neg(tiny)))).toBe(MAX);
    expect(nearestDouble(add(threshold, tiny))).toBe(MAX);
    expect(nearestDouble(pow2(1024))).toBe(MAX);
    expect(nearestDouble(pow2(5000))).toBe(MAX);
    expect(nearestDouble(neg(pow2(5000)))).toBe(-MAX);
    // The double just below MAX, plus less than half its ulp, stays itself.
    const belowMax = MAX - 2 ** 971;
    expect(nearestDouble(add(fromDouble(belowMax), pow2(969)))).toBe(belowMax);
  });

  it('averages sums past the double range back into it', () => {
    // 3·MAX / 3 is MAX exactly; 2^1100 / 2^80 is 2^1020; 2^15 copies of MAX over 2^16 is MAX/2.
    expect(nearestDouble(times(fromDouble(MAX), 3n), 3n)).toBe(MAX);
    expect(nearestDouble(pow2(1100), 2n ** 80n)).toBe(2 ** 1020);
    expect(nearestDouble(times(fromDouble(MAX), 2n ** 15n), 2n ** 16n)).toBe(MAX / 2);
    // Sums cancelling past the range: MAX + MAX − MAX is MAX.
    expect(nearestDouble(exactSum([MAX, MAX, -MAX]))).toBe(MAX);
    expect(sumAndAverage([MAX, MAX, MAX])).toEqual({ sum: MAX, avg: MAX });
    expect(sumAndAverage([-MAX, -MAX])).toEqual({ sum: -MAX, avg: -MAX });
  });

  it('gives +0 for every zero result', () => {
    expect(same(nearestDouble(ZERO), 0)).toBe(true);
    expect(same(nearestDouble(exactSum([-0, -0])), 0)).toBe(true);
    expect(same(nearestDouble(fromDouble(-MIN), 3n), 0)).toBe(true);
    expect(same(sumAndAverage([]).avg, 0)).toBe(true);
    expect(same(sumAndAverage([-0]).avg, 0)).toBe(true);
    expect(() => nearestDouble(ZERO, 0n)).toThrow(RangeError);
  });

  it('sums and averages like sequential IEEE arithmetic wherever that is exact', () => {
    // Small integers: every partial sum is exact in float64, and one division rounds correctly.
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -(2 ** 30), max: 2 ** 30 }), { maxLength: 50 }), (values) => {
        const sum = values.reduce((s, x) => s + x, 0);
        const { sum: s, avg } = sumAndAverage(values);
        return same(s, sum + 0) && same(avg, values.length === 0 ? 0 : sum / values.length + 0);
      }),
      fcParams(500),
    );
  });
});
