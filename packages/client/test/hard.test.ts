import { add, fromDouble, nearestDouble, ZERO } from '@1mrc/core/oracle';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { runChallenge } from '../src/challenge.js';
import { expectedFor, expectedSnapshot } from '../src/expected.js';
import { FINE, HARD_MAX_EVENTS, hardFloatShortfall, hardValues } from '../src/hard-pattern.js';
import { createPattern } from '../src/pattern.js';
import { createFloatStore } from './fixtures/float-store.js';
import { serveFixture } from './fixtures/server.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function exactTotal(values: readonly number[]): number {
  return nearestDouble(values.reduce((s, v) => add(s, fromDouble(v)), ZERO));
}

function floatSum(values: readonly number[], order: readonly number[]): number {
  let sum = 0;
  for (const i of order) sum += values[i] as number;
  return sum;
}

describe('the hard pattern', () => {
  const events = 5000;
  const values = Array.from({ length: events }, (_, i) => hardValues(events).value(i));

  it('has a small negative exact total and values that round-trip through JSON', () => {
    const total = exactTotal(values);
    expect(total).toBeLessThan(-60);
    expect(total).toBeGreaterThan(-65);
    for (const v of values) expect(Object.is(JSON.parse(JSON.stringify(v)), v)).toBe(true);
    // The exact partial sums need more than 53 bits: the largest magnitude against the 2^-20 bit.
    expect(Math.log2(Math.abs(values[0] as number)) - Math.log2(FINE)).toBeGreaterThan(53);
    expect(expectedSnapshot(expectedFor(createPattern('hard', 10, { events }), events)).sum).toBe(total);
  });

  it('makes `sum += value` fall short by at least the proven amount, in every order tried', () => {
    const total = exactTotal(values);
    const shortfall = hardFloatShortfall(events);
    expect(shortfall).toBeGreaterThan(0);
    const identity = values.map((_, i) => i);
    // Orders an adversary might pick: the large negative first, last, in the middle; ascending;
    // descending; then random permutations.
    const orders = [
      identity,
      [...identity.slice(1), 0],
      [...identity.slice(1, events / 2), 0, ...identity.slice(events / 2)],
      [...identity].sort((a, b) => (values[a] as number) - (values[b] as number)),
      [...identity].sort((a, b) => (values[b] as number) - (values[a] as number)),
    ];
    const sums = new Set<number>();
    for (const order of orders) {
      const sum = floatSum(values, order);
      sums.add(sum);
      expect(total - sum).toBeGreaterThanOrEqual(shortfall);
    }
    fc.assert(
      fc.property(fc.shuffledSubarray(identity, { minLength: events, maxLength: events }), (order) => {
        const sum = floatSum(values, order);
        sums.add(sum);
        return total - sum >= shortfall;
      }),
      { numRuns: 30 },
    );
    // And the wrong answer depends on the order.
    expect(sums.size).toBeGreaterThan(1);
  });

  it('refuses a run too long for the proof', () => {
    expect(() => hardValues(HARD_MAX_EVENTS + 1)).toThrow(/integer in 1 \.\. 16000000/);
  });

  it('passes a correct server and fails a float server on sum and avg, every time, saying how far off', async () => {
    const exact = await serveFixture();
    closers.push(() => exact.close());
    const pass = await runChallenge({ url: exact.url, pattern: 'hard', requests: events, concurrency: 50 });
    expect(pass.problems).toEqual([]);

    for (let run = 0; run < 3; run++) {
      const float = await serveFixture({ store: createFloatStore() });
      closers.push(() => float.close());
      const report = await runChallenge({
        url: float.url,
        pattern: 'hard',
        requests: events,
        concurrency: 50,
      });
      expect(report.ok).toBe(false);
      const wrong = report.validation.checks.filter((c) => !c.ok);
      expect(wrong.map((c) => c.field)).toEqual(['sum', 'avg']);
      const sum = wrong[0];
      expect(report.validation.checks[0]?.ok).toBe(true);
      expect(sum?.expected).toBe(pass.after.sum);
      expect((sum?.expected as number) - (sum?.actual as number)).toBeGreaterThanOrEqual(
        hardFloatShortfall(events),
      );
      expect(sum?.ulpsOff).toBeGreaterThan(2 ** 30);
      expect(sum?.relativeError).toBeGreaterThan(1e-6);
    }
  });
});
