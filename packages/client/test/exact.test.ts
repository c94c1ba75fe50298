import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, type Dyadic, fromDouble, nearestDouble, roundingInterval } from '../src/exact.js';

/** Sign of a − b. */
const compare = (a: Dyadic, b: Dyadic): number => {
  const d = add(a, { m: -b.m, e: b.e }).m;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
};

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });

// IEEE 754 makes +, / and BigInt→Number correctly rounded (ties to even), so they are the oracle.
describe('exact arithmetic on doubles', () => {
  it('round-trips every finite double, subnormals included', () => {
    fc.assert(fc.property(finite, (x) => Object.is(nearestDouble(fromDouble(x)), x === 0 ? 0 : x)));
  });

  it('rounds an exact sum of two doubles the way + does', () => {
    fc.assert(
      fc.property(finite, finite, (a, b) => {
        const sum = a + b;
        fc.pre(Number.isFinite(sum));
        return nearestDouble(add(fromDouble(a), fromDouble(b))) === sum;
      }),
    );
  });

  it('rounds a quotient by a safe integer the way / does', () => {
    fc.assert(
      fc.property(finite, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (x, n) => {
        return nearestDouble(fromDouble(x), BigInt(n)) === x / n;
      }),
    );
  });

  it('rounds big integers the way Number(bigint) does, saturating at ±MAX_VALUE', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 1100n), max: 2n ** 1100n }), (n) => {
        const hw = Number(n);
        return (
          nearestDouble({ m: n, e: 0 }) === (Number.isFinite(hw) ? hw : Math.sign(hw) * Number.MAX_VALUE)
        );
      }),
    );
  });

  it('rounds exact ties to even', () => {
    // Halfway between two doubles: random ones of those are too rare to leave to chance.
    const tie = fc
      .tuple(
        fc.bigInt({ min: 2n ** 52n, max: 2n ** 53n - 1n }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
      )
      .map(([mantissa, shift, negative]) => {
        const m = (mantissa << BigInt(shift)) | (1n << BigInt(shift - 1));
        return negative ? -m : m;
      });
    fc.assert(
      fc.property(tie, fc.integer({ min: -1100, max: 900 }), (m, e) => {
        const expected = Number(m) * 2 ** e;
        fc.pre(Number.isFinite(expected) && Math.abs(expected) >= 2 ** -1022);
        return nearestDouble({ m, e }) === expected;
      }),
    );
    expect(nearestDouble({ m: 2n ** 53n + 1n, e: 0 })).toBe(2 ** 53);
    expect(nearestDouble({ m: 2n ** 53n + 3n, e: 0 })).toBe(2 ** 53 + 4);
  });

  it('gives each double the interval of exact values that round to it', () => {
    fc.assert(
      fc.property(finite, (x) => {
        const [lo, hi] = roundingInterval(x);
        const y = x === 0 ? 0 : x;
        // The ends round to x or to a neighbour (ties), anything strictly inside rounds to x.
        const inside = add(lo, { m: 1n, e: -1200 });
        return (
          compare(lo, fromDouble(x)) < 0 && compare(hi, fromDouble(x)) > 0 && nearestDouble(inside) === y
        );
      }),
    );
  });
});
