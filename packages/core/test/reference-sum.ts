/**
 * Test-only reference for exact summation: slow and obviously correct, sharing no code or
 * technique with `ExactSum` (which uses float64 limbs and multiplies by powers of two).
 *
 * Every finite double is an integer multiple of 2^-1074, so a sum is a BigInt in those units.
 * Rounding back to a double is done on BigInts and the result is assembled bit by bit.
 */

/** x · 2^1074 as an exact BigInt. */
export function scaled(x: number): bigint {
  if (!Number.isFinite(x)) throw new RangeError(`not finite: ${x}`);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const biased = (bits >> 52n) & 0x7ffn;
  const fraction = bits & ((1n << 52n) - 1n);
  // Normal: (2^52 + fraction) · 2^(biased − 1075); subnormal: fraction · 2^-1074.
  const magnitude = biased === 0n ? fraction : ((1n << 52n) | fraction) << (biased - 1n);
  return negative ? -magnitude : magnitude;
}

/** The exact sum of `values`, times 2^1074. */
export function scaledSum(values: Iterable<number>): bigint {
  let total = 0n;
  for (const x of values) total += scaled(x);
  return total;
}

/**
 * The double nearest to numerator / (denominator · 2^1074), ties to even; +0 for zero;
 * ±Number.MAX_VALUE where IEEE rounding would give ±Infinity.
 */
export function nearestDouble(numerator: bigint, denominator = 1n): number {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const negative = numerator < 0n;
  const a = negative ? -numerator : numerator;
  // Find q ≥ 0 so that floor(a / (d·2^q)) has 53 bits, or q = 0 (subnormal or exact).
  const whole = a / denominator;
  const q = whole < 1n << 53n ? 0n : BigInt(whole.toString(2).length - 53);
  const unit = denominator << q;
  let m = a / unit;
  const twiceRemainder = 2n * (a - m * unit);
  if (twiceRemainder > unit || (twiceRemainder === unit && m % 2n === 1n)) m += 1n;
  if (m === 0n) return 0;
  // Now value = m · 2^(q − 1074) with m ≤ 2^53; renormalise a carry out of the top.
  let exponent = q;
  if (m === 1n << 53n) {
    m >>= 1n;
    exponent += 1n;
  }
  let biased: bigint;
  if (m >= 1n << 52n) {
    biased = exponent + 1n; // m/2^52 · 2^(exponent − 1022)
    if (biased >= 0x7ffn) return negative ? -Number.MAX_VALUE : Number.MAX_VALUE;
    m -= 1n << 52n;
  } else {
    biased = 0n; // subnormal: only possible with exponent 0
  }
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, ((negative ? 1n : 0n) << 63n) | (biased << 52n) | m);
  return view.getFloat64(0);
}

/** The reference sum and average of `values`, as a snapshot reports them. */
export function referenceSum(values: readonly number[]): { sum: number; avg: number } {
  const total = scaledSum(values);
  return {
    sum: nearestDouble(total),
    avg: values.length === 0 ? 0 : nearestDouble(total, BigInt(values.length)),
  };
}
