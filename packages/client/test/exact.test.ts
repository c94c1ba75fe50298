import { add, type Dyadic, fromDouble, nearestDouble } from '@1mrc/core/oracle';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { roundingInterval } from '../src/exact.js';

/** Sign of a − b. */
const compare = (a: Dyadic, b: Dyadic): number => {
  const d = add(a, { m: -b.m, e: b.e }).m;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
};

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });

// The oracle itself (fromDouble, add, nearestDouble) is tested in @1mrc/core (oracle.test.ts);
// what the client adds is the interval a served double stands for.
describe('roundingInterval', () => {
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
