/**
 * The rounding interval of a double, on the exact arithmetic of `@1mrc/core/oracle` (the one
 * BigInt reference, shared with the core tests and the soak): what the validator needs beyond it.
 */
import { add, type Dyadic, fromDouble } from '@1mrc/core/oracle';

const view = new DataView(new ArrayBuffer(8));

function half(a: Dyadic): Dyadic {
  return { m: a.m, e: a.e - 1 };
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
 * have been when it showed `x`. For ±MAX_VALUE the outer end is the overflow threshold
 * ±(2^1024 − 2^970); a server saturates, so any exact value beyond it reads ±MAX_VALUE too.
 */
export function roundingInterval(x: number): [Dyadic, Dyadic] {
  const exact = fromDouble(x);
  const [below, above] = neighbours(x);
  return [half(add(below, exact)), half(add(exact, above))];
}
