/**
 * `@1mrc/core/oracle`: the reference for "the double nearest an exact sum", and for the average
 * (exact sum / n). Slow and plainly correct, on BigInts; it shares no code or technique with
 * `ExactSum` (float64 limbs), so the tests, the challenge client's validator and the soak can
 * check the engine against it.
 *
 * Every finite double is m·2^e with integer m (IEEE 754-2019 §3.4), so any sum of doubles is an
 * exact `Dyadic`, rounded back to a double once, the way `/stats` must be. The same decisions
 * as the engine: zero is +0 (the exact sum of −0s is the real number 0), and a result whose
 * rounding overflows (|exact| ≥ 2^1024 − 2^970) reads ±Number.MAX_VALUE, so `/stats` stays JSON.
 */

/** The exact number `m · 2^e`. */
export interface Dyadic {
  readonly m: bigint;
  readonly e: number;
}

export const ZERO: Dyadic = { m: 0n, e: 0 };

const view = new DataView(new ArrayBuffer(8));

/** The exact value of a finite double. Throws a `RangeError` for NaN or ±Infinity. */
export function fromDouble(x: number): Dyadic {
  if (!Number.isFinite(x)) throw new RangeError(`Expected a finite number, got ${x}`);
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n === 1n ? -1n : 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xf_ffff_ffff_ffffn;
  // Subnormals have no implicit leading bit and the exponent of the smallest normal.
  return biased === 0
    ? trimmed(sign * fraction, -1074)
    : trimmed(sign * (fraction | (1n << 52n)), biased - 1075);
}

/** Drops trailing zero bits, so small integers stay small BigInts when added up. */
function trimmed(m: bigint, e: number): Dyadic {
  if (m === 0n) return ZERO;
  let shift = 0n;
  while (((m >> shift) & 1n) === 0n) shift++;
  return { m: m >> shift, e: e + Number(shift) };
}

export function add(a: Dyadic, b: Dyadic): Dyadic {
  if (a.e <= b.e) return { m: a.m + (b.m << BigInt(b.e - a.e)), e: a.e };
  return { m: (a.m << BigInt(a.e - b.e)) + b.m, e: b.e };
}

/** a · k, exactly. */
export function times(a: Dyadic, k: bigint): Dyadic {
  return { m: a.m * k, e: a.e };
}

/** The exact sum of finite doubles. */
export function exactSum(values: Iterable<number>): Dyadic {
  let total = ZERO;
  for (const x of values) total = add(total, fromDouble(x));
  return total;
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/**
 * The double nearest to `a / divisor` (divisor a positive integer), ties to even
 * (roundTiesToEven, IEEE 754-2019 §4.3.1); +0 for a zero result; ±Number.MAX_VALUE where IEEE
 * rounding would give ±Infinity.
 */
export function nearestDouble(a: Dyadic, divisor = 1n): number {
  if (divisor <= 0n) throw new RangeError(`Expected a positive divisor, got ${divisor}`);
  if (a.m === 0n) return 0;
  const negative = a.m < 0n;
  const num = negative ? -a.m : a.m;
  // v = num·2^e / divisor lies in [2^(top−1), 2^(top+1)). Take q = floor(v / 2^low) with
  // low = top − 56, so q has at least 55 bits: enough to find v's exponent exactly and keep a
  // rounding bit, with the remainder as the sticky bit.
  const top = bitLength(num) - bitLength(divisor) + a.e;
  const low = top - 56;
  const shift = a.e - low;
  const n = shift >= 0 ? num << BigInt(shift) : num;
  const d = shift >= 0 ? divisor : divisor << BigInt(-shift);
  const q = n / d;
  const sticky = q * d !== n;
  // The unit of the last kept bit: 53 significant bits, but never below 2^-1074 (subnormals).
  const unit = Math.max(bitLength(q) - 1 + low - 52, -1074);
  const drop = BigInt(unit - low); // ≥ 3
  let m = q >> drop;
  const rest = q - (m << drop);
  const half = 1n << (drop - 1n);
  if (rest > half || (rest === half && (sticky || (m & 1n) === 1n))) m += 1n;
  if (m === 0n) return 0;
  return assemble(negative, m, unit);
}

/** The double ±m·2^unit (m ≤ 2^53, unit ≥ −1074), from its bits; ±MAX_VALUE past the range. */
function assemble(negative: boolean, mantissa: bigint, unit: number): number {
  let m = mantissa;
  let e = unit;
  if (m === 1n << 53n) {
    m >>= 1n;
    e += 1;
  }
  let biased = 0n; // subnormal: m < 2^52, only when e = −1074
  if (m >= 1n << 52n) {
    biased = BigInt(e + 1075); // m·2^e = (m / 2^52)·2^(e + 52), and the bias is 1023
    if (biased >= 0x7ffn) return negative ? -Number.MAX_VALUE : Number.MAX_VALUE;
    m -= 1n << 52n;
  }
  view.setBigUint64(0, ((negative ? 1n : 0n) << 63n) | (biased << 52n) | m);
  return view.getFloat64(0);
}

/** What `/stats` must say of these values: the nearest double to their exact sum and average. */
export function sumAndAverage(values: readonly number[]): { sum: number; avg: number } {
  const total = exactSum(values);
  return {
    sum: nearestDouble(total),
    avg: values.length === 0 ? 0 : nearestDouble(total, BigInt(values.length)),
  };
}
