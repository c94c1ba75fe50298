/**
 * Exact arithmetic on doubles. Every finite double is m·2^e with integer m (IEEE 754-2019 §3.4),
 * so any sum of doubles is exact as a BigInt scaled by a power of two, and is rounded back to a
 * double once, at the end, the way the challenge's /stats must be.
 */

/** The exact number `m · 2^e`. */
export interface Dyadic {
  readonly m: bigint;
  readonly e: number;
}

export const ZERO: Dyadic = { m: 0n, e: 0 };

const view = new DataView(new ArrayBuffer(8));

export function fromDouble(x: number): Dyadic {
  if (!Number.isFinite(x)) throw new RangeError(`Expected a finite number, got ${x}`);
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n === 1n ? -1n : 1n;
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xf_ffff_ffff_ffffn;
  // Subnormals have no implicit leading bit and the exponent of the smallest normal.
  return exponent === 0
    ? normalize(sign * fraction, -1074)
    : normalize(sign * (fraction | (1n << 52n)), exponent - 1075);
}

/** Drops trailing zero bits, so small integers stay small BigInts when added up. */
function normalize(m: bigint, e: number): Dyadic {
  if (m === 0n) return ZERO;
  let shift = 0;
  while (((m >> BigInt(shift)) & 1n) === 0n) shift++;
  return { m: m >> BigInt(shift), e: e + shift };
}

export function add(a: Dyadic, b: Dyadic): Dyadic {
  if (a.e <= b.e) return { m: a.m + (b.m << BigInt(b.e - a.e)), e: a.e };
  return { m: (a.m << BigInt(a.e - b.e)) + b.m, e: b.e };
}

export function times(a: Dyadic, k: bigint): Dyadic {
  return { m: a.m * k, e: a.e };
}

export function half(a: Dyadic): Dyadic {
  return { m: a.m, e: a.e - 1 };
}

/** Negative, zero or positive as `a` is below, equal to or above `b`. */
export function compare(a: Dyadic, b: Dyadic): number {
  const d = add(a, { m: -b.m, e: b.e }).m;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** The double nearest to `a / divisor`, ties to even (IEEE 754 roundTiesToEven); ±Infinity past the range. */
export function nearestDouble(a: Dyadic, divisor = 1n): number {
  if (divisor <= 0n) throw new RangeError(`Expected a positive divisor, got ${divisor}`);
  if (a.m === 0n) return 0;
  const negative = a.m < 0n;
  const num = negative ? -a.m : a.m;
  // Find k with 2^52 <= num·2^k / divisor < 2^53, so the quotient holds exactly 53 bits,
  // unless that would put the last bit below 2^-1074, where subnormals keep fewer bits.
  let k = 53 - (bitLength(num) - bitLength(divisor));
  let q = quotient(num, divisor, k);
  if (bitLength(q.q) > 53) {
    k -= 1;
    q = quotient(num, divisor, k);
  }
  if (a.e - k < -1074) {
    k = a.e + 1074;
    q = quotient(num, divisor, k);
  }
  let mantissa = q.q;
  const twice = 2n * q.r;
  if (twice > q.d || (twice === q.d && (mantissa & 1n) === 1n)) mantissa += 1n;
  // mantissa ≤ 2^53 converts exactly, and the power of two scales it exactly (or overflows).
  const magnitude = Number(mantissa) * 2 ** (a.e - k);
  return negative ? -magnitude : magnitude;
}

/** floor(num·2^k / divisor), its remainder, and the denominator the remainder is over. */
function quotient(num: bigint, divisor: bigint, k: number): { q: bigint; r: bigint; d: bigint } {
  const n = k >= 0 ? num << BigInt(k) : num;
  const d = k >= 0 ? divisor : divisor << BigInt(-k);
  return { q: n / d, r: n % d, d };
}

/** The doubles just below and just above `x`. */
function neighbours(x: number): [Dyadic, Dyadic] {
  if (x === 0)
    return [
      { m: -1n, e: -1074 },
      { m: 1n, e: -1074 },
    ];
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const step = (delta: bigint): Dyadic => {
    view.setBigUint64(0, bits + delta);
    const y = view.getFloat64(0);
    // Past the largest double, the overflow threshold 2^1024 plays the neighbour's part.
    return Number.isFinite(y) ? fromDouble(y) : { m: y > 0 ? 1n : -1n, e: 1024 };
  };
  // For a negative x the bit pattern grows away from zero, so the roles swap.
  return x > 0 ? [step(-1n), step(1n)] : [step(1n), step(-1n)];
}

/**
 * The closed interval of exact values that round to `x`: what a server's exact state may
 * have been when it showed `x`.
 */
export function roundingInterval(x: number): [Dyadic, Dyadic] {
  const exact = fromDouble(x);
  const [below, above] = neighbours(x);
  return [half(add(below, exact)), half(add(exact, above))];
}
