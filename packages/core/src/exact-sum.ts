/**
 * Exact, order-independent summation of doubles, after Radford M. Neal, "Fast exact
 * summation using small and large superaccumulators" (arXiv:1505.05571, 2015).
 *
 * Every finite double is an integer multiple of 2^-1074, so the exact sum is an integer T
 * in units of 2^-1074. We hold T in two stages, both made of float64 slots that only ever
 * hold integers below 2^53 in magnitude, so every float addition on them is exact:
 *
 * 1. Pending (Neal's "large" superaccumulator): one pair of slots per sign and biased
 *    exponent (the top 12 bits of the double). `add` splits the 53-bit significand into its
 *    high 21 bits (implicit bit included) and low 32 bits and adds each, unshifted, to the
 *    pair. No shifting, no sign handling, no carries on the hot path.
 * 2. Limbs (Neal's "small" superaccumulator): T = Σ limbs[k]·2^(32k), k = 0..66. After a
 *    normalisation limbs[0..65] are in [0, 2^32) and limbs[66] is signed and holds the rest.
 *    The pending slots are flushed into the limbs (and normalised) every 2^21 adds and before
 *    any read, merge or export.
 *
 * Why nothing ever exceeds 2^53 (so float64 stays exact):
 * - Pending low slot: at most 2^21 adds (the flush interval) of values below 2^32, so below
 *   2^53. High slot: below 2^21·2^21 = 2^42.
 * - Flush: limb k receives pieces < 2^32 from at most 3 limb offsets × 32 exponents × 2
 *   halves × 2 signs = 384 deposits → |limb| < 2^32 + 384·2^32 < 2^41; each carry < 2^10.
 * - limbs[66]: a double's magnitude is below 2^1024 = 2^2098 units, so after n adds
 *   |T| < n·2^2098 and |limbs[66]| ≤ |T|/2^2112 + 1 < n·2^-14 + 1: exact for n < 2^66 adds,
 *   more than 2,000 years at 10^9 adds per second. Merges add n's; `merge` refuses a state
 *   that would take limbs[66] past 2^52.
 *
 * Reading rounds T·2^-1074 (or T·2^-1074 / n) to the nearest double, ties to even, by hand.
 * Decisions: zero is always +0 (the exact sum of -0s is the real number 0, and JSON prints
 * -0 as 0 anyway); a result whose rounding overflows (|exact| ≥ 2^1024 − 2^970) saturates to
 * ±Number.MAX_VALUE, so a snapshot stays valid JSON. Saturation happens only when reading: the
 * exact state goes on, so adding −MAX_VALUE to 2·MAX_VALUE gives MAX_VALUE exactly.
 */

/** The exact sum, JSON- and `structuredClone`-safe: T = Σ limbs[k]·2^(32k) in units of 2^-1074. */
export interface ExactSumState {
  /**
   * Little-endian base-2^32 digits: every limb but the last in [0, 2^32), the last signed
   * (|last| ≤ 2^52). `export` folds a top limb of 0 or -1 into the one below until the top is
   * neither (or alone), so equal sums export equal arrays: `{ limbs: [0] }` is zero.
   */
  readonly limbs: readonly number[];
}

const LIMBS = 67;
const TOP = LIMBS - 1;
const TWO32 = 2 ** 32;
const TWO_MINUS32 = 2 ** -32;
const FLUSH_EVERY = 2 ** 21;
const MAX_TOP = 2 ** 52;

// Bit access to a double: one shared scratch, written then read in the same synchronous call.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

/** POW2[i] = 2^(i − 1075), built by exact doublings (Math.pow is not promised exact). */
const POW2 = new Float64Array(2100);
POW2[1] = Number.MIN_VALUE;
for (let i = 2; i < POW2.length; i++) POW2[i] = POW2[i - 1]! * 2;

/**
 * An exact, order-independent sum of doubles: `add` values in any order, merge shards, then
 * read the correctly rounded `value()` or `divide(n)`. Equal sums export equal states.
 */
export class ExactSum {
  /** Per slot (sign·2048 + biased exponent): [2i] high 21 significand bits, [2i+1] low 32. */
  readonly #pending = new Float64Array(2 * 4096);
  #pendingAdds = 0;
  readonly #limbs = new Float64Array(LIMBS);

  /** Adds a finite double. Throws a `RangeError` (and adds nothing) for NaN or ±Infinity. */
  add(x: number): void {
    f64[0] = x;
    const hi = u32[HI]!;
    const slot = hi >>> 20;
    const exponent = slot & 0x7ff;
    if (exponent === 0 || exponent === 0x7ff) {
      this.#addSpecial(x, slot, hi);
      return;
    }
    const i = slot << 1;
    this.#pending[i]! += (hi & 0xfffff) | 0x100000;
    this.#pending[i + 1]! += u32[LO]!;
    if (++this.#pendingAdds === FLUSH_EVERY) this.#flush();
  }

  /**
   * Adds another accumulator's sum, or an exported state. All or nothing: the state is
   * validated and the range checked before any limb changes (the flush before the check only
   * moves the pending adds into the limbs, the same exact value), and nothing after can throw.
   */
  merge(other: ExactSum | ExactSumState): void {
    let limbs: ArrayLike<number>;
    if (other instanceof ExactSum) {
      other.#flush();
      limbs = other.#limbs;
    } else {
      limbs = checkState(other);
    }
    this.#flush();
    const top = limbs.length - 1;
    if (top === TOP && Math.abs(this.#limbs[TOP]! + limbs[TOP]!) >= MAX_TOP) {
      throw new RangeError('Merging this state would exceed the exact range (more than 2^66 values)');
    }
    for (let k = 0; k <= top; k++) this.#limbs[k]! += limbs[k]!;
    normalize(this.#limbs);
  }

  /** The exact sum as plain data, for `merge` in another accumulator (or process). */
  export(): ExactSumState {
    this.#flush();
    const limbs = Array.from(this.#limbs);
    // Fold a top limb of 0 or -1 into the one below (which stays in range as a signed limb).
    while (limbs.length > 1) {
      const top = limbs.at(-1)!;
      if (top !== 0 && top !== -1) break;
      limbs.pop();
      limbs[limbs.length - 1]! += top * TWO32;
    }
    return { limbs };
  }

  /** The double nearest to the exact sum (ties to even); +0 for zero; saturates at ±MAX_VALUE. */
  value(): number {
    this.#flush();
    const negative = this.#limbs[TOP]! < 0;
    const magnitude = negative ? negated(this.#limbs) : this.#limbs;
    const result = roundLimbs(magnitude, false, -1074);
    return negative ? 0 - result : result; // 0 − 0 is +0
  }

  /**
   * The double nearest to (exact sum) / n, ties to even, saturating like `value`; 0 when n is 0.
   * `n` is a count: a non-negative safe integer.
   */
  divide(n: number): number {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`Expected a non-negative safe integer, got ${String(n)}`);
    }
    if (n === 0) return 0;
    if (n === 1) return this.value();
    this.#flush();
    const negative = this.#limbs[TOP]! < 0;
    // Per /stats, not per add: BigInt keeps the long division short. The quotient is taken
    // with one extra bit (units of 2^-1075) so its last bit is the rounding bit even for
    // subnormal results; the remainder is the sticky bit.
    const twice = toBigInt(negative ? negated(this.#limbs) : this.#limbs) << 1n;
    const divisor = BigInt(n);
    const quotient = twice / divisor;
    const sticky = quotient * divisor !== twice;
    const result = roundLimbs(fromBigInt(quotient), sticky, -1075);
    return negative ? 0 - result : result; // 0 − 0 is +0
  }

  /** Back to zero. */
  reset(): void {
    this.#pending.fill(0);
    this.#pendingAdds = 0;
    this.#limbs.fill(0);
  }

  /** ±0 and subnormals (exponent field 0), and the non-finite values (exponent field 0x7ff). */
  #addSpecial(x: number, slot: number, hi: number): void {
    if (!Number.isFinite(x)) throw new RangeError(`Expected a finite number, got ${String(x)}`);
    // A subnormal has no implicit bit and the same scale as exponent 1: use that slot.
    const i = (slot | 1) << 1;
    this.#pending[i]! += hi & 0xfffff;
    this.#pending[i + 1]! += u32[LO]!;
    if (++this.#pendingAdds === FLUSH_EVERY) this.#flush();
  }

  /** Moves the pending slots into the limbs, exactly, and normalises them. */
  #flush(): void {
    if (this.#pendingAdds === 0) return;
    const pending = this.#pending;
    const limbs = this.#limbs;
    for (let slot = 0; slot < 4096; slot++) {
      const high = pending[2 * slot]!;
      const low = pending[2 * slot + 1]!;
      if (high === 0 && low === 0) continue;
      pending[2 * slot] = 0;
      pending[2 * slot + 1] = 0;
      // A double with biased exponent e ≥ 1 is significand · 2^(e−1075): its lowest bit sits at
      // position e−1 in units of 2^-1074.
      const position = (slot & 0x7ff) - 1;
      const sign = slot < 2048 ? 1 : -1;
      deposit(limbs, low, position, sign);
      deposit(limbs, high, position + 32, sign);
    }
    this.#pendingAdds = 0;
    normalize(limbs);
  }
}

/** Adds sign · v · 2^position to the limbs; v is a non-negative integer below 2^53. */
function deposit(limbs: Float64Array, v: number, position: number, sign: number): void {
  const k = position >>> 5;
  // v · 2^s < 2^85 is exact (a change of exponent); each cut below is a power-of-two floor.
  let a = v * POW2[(position & 31) + 1075]!;
  const a2 = Math.floor(a * TWO_MINUS32 * TWO_MINUS32);
  a -= a2 * TWO32 * TWO32;
  const a1 = Math.floor(a * TWO_MINUS32);
  a -= a1 * TWO32;
  limbs[k]! += sign * a;
  limbs[k + 1]! += sign * a1;
  limbs[k + 2]! += sign * a2;
}

/** Carries so that limbs[0..65] are in [0, 2^32); the signed rest goes to limbs[66]. */
function normalize(limbs: Float64Array): void {
  for (let k = 0; k < TOP; k++) {
    const carry = Math.floor(limbs[k]! * TWO_MINUS32);
    if (carry !== 0) {
      limbs[k]! -= carry * TWO32;
      limbs[k + 1]! += carry;
    }
  }
}

const scratch = new Float64Array(LIMBS);

/** −T in normal form, in a shared scratch array (valid until the next call). */
function negated(limbs: Float64Array): Float64Array {
  for (let k = 0; k < LIMBS; k++) scratch[k] = -limbs[k]!;
  normalize(scratch);
  return scratch;
}

/** The bits [position, position + 32) of the non-negative number held in `limbs`. */
function bitsAt(limbs: ArrayLike<number>, position: number): number {
  const k = position >>> 5;
  const s = position & 31;
  const w0 = k < limbs.length ? limbs[k]! : 0;
  if (s === 0) return w0;
  const w1 = k + 1 < limbs.length ? limbs[k + 1]! : 0;
  return ((w0 >>> s) | (w1 << (32 - s))) >>> 0;
}

/** True if any bit below `position` is set. */
function anyBitBelow(limbs: ArrayLike<number>, position: number): boolean {
  const k = position >>> 5;
  for (let j = 0; j < k; j++) if (limbs[j] !== 0) return true;
  const s = position & 31;
  return (limbs[k]! & ((1 << s) - 1)) !== 0; // s = 0: an empty mask
}

/**
 * Rounds M = Σ limbs[k]·2^(32k) (non-negative, normal form; plus an infinitesimal if `sticky`)
 * times 2^unit to the nearest double, ties to even; saturates at MAX_VALUE. `unit` is -1074
 * or -1075; bit position −1074 − unit is the smallest a double can keep (2^-1074).
 */
function roundLimbs(limbs: ArrayLike<number>, sticky: boolean, unit: number): number {
  let j = limbs.length - 1;
  while (j >= 0 && limbs[j] === 0) j--;
  if (j < 0) return 0; // sticky alone is below half of 2^unit ≤ half of 2^-1074: rounds to 0
  if (j >= TOP) return Number.MAX_VALUE; // ≥ 2^(32·66 + unit) ≥ 2^1037
  const top = 32 * j + 31 - Math.clz32(limbs[j]!);
  if (top + unit >= 1024) return Number.MAX_VALUE;
  // Keep 53 bits from the top, but none below 2^-1074 (the subnormal range keeps fewer).
  const low = Math.max(top - 52, -1074 - unit);
  let m = (bitsAt(limbs, low + 32) & 0x1fffff) * TWO32 + bitsAt(limbs, low);
  if (low > 0 && (bitsAt(limbs, low - 1) & 1) === 1) {
    // Above half, or exactly half and m odd (ties to even): round up. m + 1 ≤ 2^53 is exact.
    if (sticky || m % 2 === 1 || anyBitBelow(limbs, low - 1)) m += 1;
  }
  // m ≤ 2^53 and the result is a representable double (or overflows to Infinity), so exact.
  const result = m * POW2[low + unit + 1075]!;
  return result === Number.POSITIVE_INFINITY ? Number.MAX_VALUE : result;
}

function toBigInt(limbs: ArrayLike<number>): bigint {
  let hex = '';
  for (let k = TOP; k >= 0; k--) hex += limbs[k]!.toString(16).padStart(8, '0');
  return BigInt(`0x${hex}`);
}

/** Non-negative `value` as base-2^32 limbs, least significant first. */
function fromBigInt(value: bigint): number[] {
  const hex = value.toString(16);
  const limbs: number[] = [];
  for (let end = hex.length; end > 0; end -= 8) {
    limbs.push(Number.parseInt(hex.slice(Math.max(0, end - 8), end), 16));
  }
  return limbs;
}

/** Validates an imported state; returns its limbs. Throws `TypeError` on anything malformed. */
function checkState(state: unknown): readonly number[] {
  const limbs = (state as { limbs?: unknown } | null)?.limbs;
  if (!Array.isArray(limbs) || limbs.length < 1 || limbs.length > LIMBS) {
    throw new TypeError(`Expected an ExactSumState with 1 to ${LIMBS} limbs`);
  }
  for (let k = 0; k < limbs.length; k++) {
    const limb: unknown = limbs[k];
    const last = k === limbs.length - 1;
    const ok =
      Number.isSafeInteger(limb) &&
      (last ? Math.abs(limb as number) <= MAX_TOP : (limb as number) >= 0 && (limb as number) < TWO32);
    if (!ok) throw new TypeError(`Invalid ExactSumState limb ${k}: ${String(limb)}`);
  }
  return limbs as number[];
}
