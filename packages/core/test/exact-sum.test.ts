/**
 * ExactSum against the independent BigInt oracle (`@1mrc/core/oracle`) and, where IEEE
 * hardware rounds correctly (one addition, one division), against the hardware itself.
 *
 * A failing property prints `{ seed, path }`; replay it with
 * `FC_SEED=<seed> FC_PATH=<path> pnpm vitest run packages/core/test/exact-sum.test.ts -t "<name>"`.
 * `FC_NUM_RUNS=5000` runs every property longer (see @1mrc/testkit/fc).
 */

import { fcParams } from '@1mrc/testkit/fc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactSum, type ExactSumState } from '../src/exact-sum.js';
import { type Dyadic, exactSum, fromDouble, nearestDouble, times } from '../src/oracle.js';

const MAX = Number.MAX_VALUE;
const MIN = Number.MIN_VALUE;
/** Half an ulp of MAX_VALUE: MAX + HALF_ULP_MAX is the first sum IEEE rounds to Infinity. */
const HALF_ULP_MAX = 2 ** 970;

/** Any finite double: subnormals, ±0, ±MAX_VALUE and everything between. */
const anyDouble = fc.double({ noNaN: true, noDefaultInfinity: true });
/** Doubles of one random magnitude band, so that many of them interact (carries, ties). */
const bandDouble = fc
  .integer({ min: -1074, max: 1023 })
  .chain((e) => fc.double({ min: -(2 ** e) * 2, max: 2 ** e * 2, noNaN: true }))
  .filter(Number.isFinite);

function sumOf(values: readonly number[]): ExactSum {
  const sum = new ExactSum();
  for (const x of values) sum.add(x);
  return sum;
}

/** An exact sum of doubles in units of 2^-1074 (every double is a whole number of them). */
function units(total: Dyadic): bigint {
  return total.m << BigInt(total.e + 1074);
}

/** What the oracle says `value()` and `divide(n)` must be. */
function expectExact(sum: ExactSum, values: readonly number[], n = values.length): void {
  const total = exactSum(values);
  expect(Object.is(sum.value(), nearestDouble(total)), `value() of [${values}]`).toBe(true);
  if (n > 0) {
    expect(Object.is(sum.divide(n), nearestDouble(total, BigInt(n))), `divide(${n}) of [${values}]`).toBe(
      true,
    );
  }
}

/** A double, nudged: with its neighbour ulps and halves, the values ties are made of. */
const tieParts = fc
  .tuple(anyDouble, fc.integer({ min: -2, max: 2 }), fc.constantFrom(0, MIN, -MIN, 2 ** -60, -(2 ** -60)))
  .map(([x, k, tiny]) => {
    // x's ulp is 2^(max(e,1) − 1075); half of it is representable only for e ≥ 2.
    const e = exponentOf(x);
    const halfUlp = e <= 1 ? 0 : 2 ** (e - 1076);
    return [x, k * halfUlp, tiny].filter((v) => Number.isFinite(v));
  });

function exponentOf(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return (view.getUint16(0) >> 4) & 0x7ff;
}

/**
 * The state `export` must give for `total`, as `ExactSumState` documents it: unsigned base-2^32
 * digits, least significant first, then the signed rest once the rest above it is 0 or -1.
 */
function limbsOf(total: bigint): number[] {
  const limbs: number[] = [];
  let rest = total;
  while (rest >> 32n !== 0n && rest >> 32n !== -1n) {
    limbs.push(Number(BigInt.asUintN(32, rest)));
    rest >>= 32n;
  }
  limbs.push(Number(rest));
  return limbs;
}

describe('ExactSum', () => {
  it('is the correctly rounded exact sum and average of any doubles', () => {
    fc.assert(
      fc.property(fc.array(anyDouble, { maxLength: 60 }), (values) => expectExact(sumOf(values), values)),
      fcParams(300),
    );
  });

  it('is exact for values of one magnitude band (carries, ties, cancellation)', () => {
    fc.assert(
      fc.property(fc.array(bandDouble, { maxLength: 60 }), (values) => expectExact(sumOf(values), values)),
      fcParams(300),
    );
  });

  it('matches IEEE addition for two terms (an oracle independent of the reference)', () => {
    fc.assert(
      fc.property(fc.oneof(anyDouble, bandDouble), fc.oneof(anyDouble, bandDouble), (a, b) => {
        const hw = a + b + 0;
        return Object.is(sumOf([a, b]).value(), Number.isFinite(hw) ? hw : Math.sign(hw) * MAX);
      }),
      fcParams(1000),
    );
  });

  it('matches IEEE division for one term and any count', () => {
    fc.assert(
      fc.property(anyDouble, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (x, n) =>
        Object.is(sumOf([x]).divide(n), x / n + 0),
      ),
      fcParams(1000),
    );
  });

  it('divides by any count, not only the number of values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(anyDouble, bandDouble), { maxLength: 20 }),
        fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
        (values, n) => expectExact(sumOf(values), values, n),
      ),
      fcParams(300),
    );
  });

  it('survives catastrophic cancellation', () => {
    const cancelling = fc
      .tuple(
        fc.array(anyDouble, { maxLength: 20 }),
        fc.array(fc.oneof(anyDouble, bandDouble), { maxLength: 5 }),
      )
      .chain(([big, small]) => {
        const all = [...big, ...big.map((x) => -x), ...small];
        return fc.shuffledSubarray(all, { minLength: all.length });
      });
    fc.assert(
      fc.property(cancelling, (values) => expectExact(sumOf(values), values)),
      fcParams(300),
    );
  });

  it('keeps tiny values next to huge ones', () => {
    const tinyAndHuge = fc
      .tuple(
        fc.array(fc.double({ min: -1e-300, max: 1e-300, noNaN: true }), { maxLength: 40 }),
        fc.constantFrom(MAX, -MAX, 1e308, 2 ** 53, 1),
      )
      .chain(([tiny, huge]) => {
        const all = [...tiny, huge, -huge, huge];
        return fc.shuffledSubarray(all, { minLength: all.length });
      });
    fc.assert(
      fc.property(tinyAndHuge, (values) => expectExact(sumOf(values), values)),
      fcParams(300),
    );
  });

  it('rounds ties to even, and breaks them by any sticky bit', () => {
    fc.assert(
      fc.property(tieParts, (values) => expectExact(sumOf(values), values)),
      fcParams(1000),
    );
  });

  it('rounds right at the MAX_VALUE boundary (and saturates beyond it)', () => {
    const nearMax = fc
      .tuple(
        fc.constantFrom(MAX, -MAX),
        fc.constantFrom(HALF_ULP_MAX, -HALF_ULP_MAX, 2 ** 969, 2 * HALF_ULP_MAX, 0),
        fc.constantFrom(0, MIN, -MIN, 1, -1, 2 ** 900, -(2 ** 900)),
        fc.array(fc.constantFrom(MAX, -MAX), { maxLength: 3 }),
      )
      .map(([a, b, c, more]) => [a, b, c, ...more]);
    fc.assert(
      fc.property(nearMax, (values) => {
        const sum = sumOf(values);
        expectExact(sum, values);
        return Number.isFinite(sum.value()) && Number.isFinite(sum.divide(values.length));
      }),
      fcParams(500),
    );
  });

  it('gives the same value and state for any order of the same values', () => {
    const withPermutation = fc
      .array(fc.oneof(anyDouble, bandDouble), { maxLength: 40 })
      .chain((values) =>
        fc.tuple(fc.constant(values), fc.shuffledSubarray(values, { minLength: values.length })),
      );
    fc.assert(
      fc.property(withPermutation, ([values, permuted]) => {
        const a = sumOf(values);
        const b = sumOf(permuted);
        expect(b.export()).toEqual(a.export());
        expect(Object.is(a.value(), b.value())).toBe(true);
        expect(Object.is(a.divide(values.length), b.divide(values.length))).toBe(true);
      }),
      fcParams(300),
    );
  });

  it('merges shards, live or through JSON and structuredClone, into the same state', () => {
    const sharded = fc
      .array(fc.oneof(anyDouble, bandDouble), { maxLength: 40 })
      .chain((values) =>
        fc.tuple(
          fc.constant(values),
          fc.array(fc.nat(4), { minLength: values.length, maxLength: values.length }),
          fc.constantFrom('live', 'json', 'clone'),
        ),
      );
    fc.assert(
      fc.property(sharded, ([values, shardOf, via]) => {
        const shards = Array.from({ length: 5 }, () => new ExactSum());
        for (const [i, x] of values.entries()) shards[shardOf[i]!]!.add(x);
        const merged = new ExactSum();
        for (const shard of shards.reverse()) {
          const state = shard.export();
          if (via === 'live') merged.merge(shard);
          else
            merged.merge(
              via === 'json' ? (JSON.parse(JSON.stringify(state)) as ExactSumState) : structuredClone(state),
            );
        }
        expect(merged.export()).toEqual(sumOf(values).export());
        expectExact(merged, values);
      }),
      fcParams(300),
    );
  });

  it('stays exact when one pending slot is filled to its bound (2^21 adds) and past it', () => {
    // The low significand word 0xffffffff fills a pending slot fastest; past 2^53 the slot
    // would round, so this catches a flush that comes too late.
    for (const x of [2 - 2 ** -51, -(2 ** -1022 - MIN), MAX * (1 - 2 ** -52)]) {
      const count = 3 * 2 ** 21 + 1;
      const sum = new ExactSum();
      for (let i = 0; i < count; i++) sum.add(x);
      expect(sum.export()).toEqual({ limbs: limbsOf(units(fromDouble(x)) * BigInt(count)) });
      expect(Object.is(sum.divide(count), x)).toBe(true);
    }
  });

  it('stays exact across flushes with every kind of slot interleaved', () => {
    const values = [2 - 2 ** -51, -MAX, MAX * (1 - 2 ** -52), 2 ** -1022 - MIN, -(2 ** 1000 - 2 ** 948), 7];
    const count = 2 ** 19 + 3;
    const sum = new ExactSum();
    for (let i = 0; i < count; i++) for (const x of values) sum.add(x);
    const total = times(exactSum(values), BigInt(count));
    expect(sum.export()).toEqual({ limbs: limbsOf(units(total)) });
    expect(Object.is(sum.value(), nearestDouble(total))).toBe(true);
    const n = count * values.length;
    expect(Object.is(sum.divide(n), nearestDouble(total, BigInt(n)))).toBe(true);
  });

  it('keeps the exact sum past the double range: saturates when read, recovers on cancellation', () => {
    const sum = sumOf([MAX, MAX, MAX]);
    expect(sum.value()).toBe(MAX);
    expect(sum.divide(3)).toBe(MAX);
    expect(sumOf([-MAX, -MAX]).value()).toBe(-MAX);
    sum.add(-MAX);
    sum.add(-MAX);
    expect(sum.value()).toBe(MAX);
    // 2^15 copies of MAX need the signed top limb.
    const many = new ExactSum();
    for (let i = 0; i < 2 ** 15; i++) many.add(MAX);
    expect(many.value()).toBe(MAX);
    expect(many.divide(2 ** 15)).toBe(MAX);
    expect(many.divide(2 ** 16)).toBe(nearestDouble(times(fromDouble(MAX), 2n ** 15n), 2n ** 16n));
    const negative = new ExactSum();
    for (let i = 0; i < 2 ** 15; i++) negative.add(-MAX);
    expect(negative.value()).toBe(-MAX);
    many.merge(negative.export());
    expect(Object.is(many.value(), 0)).toBe(true);
    expect(many.export()).toEqual(new ExactSum().export());
  });

  it('never answers -0: the exact sum of -0s is zero', () => {
    expect(Object.is(new ExactSum().value(), 0)).toBe(true);
    expect(Object.is(sumOf([-0, -0]).value(), 0)).toBe(true);
    expect(Object.is(sumOf([-0, -0]).divide(2), 0)).toBe(true);
    expect(Object.is(sumOf([-MIN]).divide(3), 0)).toBe(true);
    expect(Object.is(new ExactSum().divide(0), 0)).toBe(true);
    expect(sumOf([-0]).export()).toEqual(new ExactSum().export());
  });

  it('rejects non-finite values and bad counts, changing nothing', () => {
    const sum = sumOf([1.5, -(2 ** -1070)]);
    const before = sum.export();
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => sum.add(bad)).toThrow(RangeError);
    }
    for (const n of [-1, 1.5, Number.NaN, 2 ** 53]) expect(() => sum.divide(n)).toThrow(RangeError);
    expect(sum.export()).toEqual(before);
    expect(Object.is(sum.value(), sumOf([1.5, -(2 ** -1070)]).value())).toBe(true);
  });

  it('rejects malformed states, changing nothing', () => {
    const sum = sumOf([3, 2 ** -1074]);
    const before = sum.export();
    const bad: unknown[] = [
      null,
      42,
      {},
      { limbs: [] },
      { limbs: 'nope' },
      { limbs: [1.5] },
      { limbs: [2 ** 32, 0] },
      { limbs: [-1, 0] },
      { limbs: [0, 2 ** 53] },
      { limbs: [Number.NaN] },
      { limbs: Array.from({ length: 68 }, () => 0) },
    ];
    for (const state of bad)
      expect(() => sum.merge(state as ExactSumState), JSON.stringify(state)).toThrow(TypeError);
    // A top limb that would pass 2^52 (more than 2^66 values' worth) is refused too.
    const nearTop = { limbs: [...Array.from({ length: 66 }, () => 0), 2 ** 52 - 1] };
    const big = new ExactSum();
    big.merge(nearTop);
    const bigBefore = big.export();
    expect(() => big.merge(nearTop)).toThrow(RangeError);
    expect(big.export()).toEqual(bigBefore);
    expect(sum.export()).toEqual(before);
  });

  it('exports the documented, JSON-safe state and resets to zero', () => {
    fc.assert(
      fc.property(fc.array(anyDouble, { maxLength: 20 }), (values) => {
        const sum = sumOf(values);
        const state = sum.export();
        expect(state).toEqual({ limbs: limbsOf(units(exactSum(values))) });
        expect(JSON.parse(JSON.stringify(state))).toEqual(state);
        sum.reset();
        expect(sum.export()).toEqual({ limbs: [0] });
      }),
      fcParams(200),
    );
  });
});
