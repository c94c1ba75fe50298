/**
 * `--pattern hard`: values that a server summing in floating point (`sum += value`, in any
 * arrival order) gets wrong, while the exact sum is a small negative double.
 *
 * Construction, in units of φ = 2^-20 (every value is a multiple of φ):
 * - events 1 .. n-1 are carriers `c_i = a_i·U + φ`, with U = 2^16 φ (1/16) and a_i an integer
 *   in [2^28, 2^29) (a hash of i), so c_i lies in [2^24, 2^25) and needs 45 bits: a double;
 * - event 0 is one large negative `-H = -(Σ a_i + m)·U`, with m = ⌈N/2^16⌉ + 1000 (N = n-1
 *   carriers), which cancels the carriers down to the exact total
 *   T = Σ c_i - H = N·φ - m·U, a negative multiple of φ near -62.5, itself a double.
 * So partial sums reach about H ≈ n·2^24.6 while the total needs the 2^-20 bit: far more than
 * 53 bits along the way, yet the exact sum and the average are ordinary doubles.
 *
 * Why every order of `sum += value` is wrong. Write the float accumulator as F = K + ρ, where
 * K is the exact sum of the coarse parts (multiples of U) added so far. Every partial sum is
 * below 2^53·U in magnitude (n ≤ 2^24), so its ulp w is at most U, K is a multiple of w, and
 * rounding F + c_i only rounds ρ + φ to a multiple of w (adding -H rounds ρ alone). Then:
 * 1. ρ ≥ 0 always (a non-negative number rounds to a non-negative multiple of w).
 * 2. ρ only grows at a step whose w is at most 2φ (by φ at most), at a step whose w is larger
 *    than the previous step's (by w at most), or at the -H step (by w at most). Otherwise ρ is a
 *    multiple of w ≥ 4φ and ρ + φ rounds back down to ρ.
 * 3. w ≤ 2φ needs |partial| < 2^54 φ = 2^34. Before -H the partial is a sum of carriers
 *    (each ≥ 2^24): fewer than 2^10 + 1 such steps. After -H the partial rises monotonically
 *    to T, and is that small only while fewer than 2^10 + 2 carriers remain.
 * 4. The partial grows monotonically before -H and shrinks after it, so the w's of the growth
 *    steps are distinct powers of two up to w_max = ulp(max(H, Σ c_i)): they add up to < 2 w_max.
 * Hence 0 ≤ ρ ≤ B = (2^11 + 4)·φ + 3·w_max, and the server's final sum F = T - N·φ + ρ is below T
 * by at least N·φ - B > 0 (≈ 0.94 for a million events; 2,100 events and more make it positive).
 * Since T is a double, round(T) = T ≠ F; and F/n ≠ round(T/n), their relative gap being
 * (N·φ - B)/|T|, far above 2^-52. ρ depends on the order, so the wrong sum changes from run to run.
 */

/** φ, the finest bit every value carries. */
export const FINE = 2 ** -20;
/** U: the coarse parts are multiples of it. */
export const COARSE = 2 ** -4;
/** Past this many events a partial sum could exceed 2^53·U and the proof above no longer holds. */
export const HARD_MAX_EVENTS = 16_000_000;
/** How far below zero (in units of U) the total lands: T ≈ -1000/16 = -62.5. */
const BELOW = 1000;

function coarseUnits(i: number): number {
  // 2^28 + a 28-bit hash of i: a_i in [2^28, 2^29).
  return 2 ** 28 + ((Math.imul(i, 0x9e3779b1) >>> 0) & (2 ** 28 - 1));
}

export interface HardValues {
  value(i: number): number;
  /** The values do not repeat within a run. */
  readonly period: number;
}

export function hardValues(events: number): HardValues {
  if (!Number.isSafeInteger(events) || events < 1 || events > HARD_MAX_EVENTS) {
    throw new TypeError(
      `Expected the hard pattern's events to be an integer in 1 .. ${HARD_MAX_EVENTS}, got ${String(events)}`,
    );
  }
  const carriers = events - 1;
  // Exact: each a_i < 2^29 and there are fewer than 2^24 of them.
  let units = 0;
  for (let i = 1; i < events; i++) units += coarseUnits(i);
  const m = Math.ceil(carriers / 2 ** 16) + BELOW;
  const negative = -(units + m) * COARSE;
  return {
    value: (i) => (i === 0 ? negative : coarseUnits(i) * COARSE + FINE),
    period: events,
  };
}

/** ulp(x) of a normal double: 2^(exponent - 52), the exponent read from its bits. */
function ulp(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return 2 ** (((view.getUint16(0) >> 4) & 0x7ff) - 1023 - 52);
}

/**
 * The least amount by which `sum += value`, in any order, falls short of the exact sum of a
 * hard run of `events` events: N·φ - B from the proof above (negative when it proves nothing).
 */
export function hardFloatShortfall(events: number): number {
  const values = hardValues(events);
  // H is the largest partial sum in magnitude: the carriers alone add up to H + T < H.
  const bound = (2 ** 11 + 4) * FINE + 3 * ulp(values.value(0));
  return (events - 1) * FINE - bound;
}
