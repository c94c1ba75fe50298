/**
 * Properties of the in-memory stats engine: exact against the BigInt oracle, independent of
 * arrival order and sharding, and all-or-nothing on bad input (failures of every other kind:
 * stats-atomicity.test.ts). The engine is synchronous, so there is no interleaving to test
 * below an adapter: any order of calls is a permutation, which the permutation property covers.
 *
 * A failing property prints `{ seed, path }`; replay it with
 * `FC_SEED=<seed> FC_PATH=<path> pnpm vitest run packages/core/test/stats.test.ts -t "<name>"`.
 * `FC_NUM_RUNS=2000` runs every property longer (see @1mrc/testkit/fc).
 */

import { fcParams } from '@1mrc/testkit/fc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StatsError } from '../src/errors.js';
import { createStats, type Stats, type StatsState } from '../src/stats.js';
import type { Event } from '../src/types.js';
import { badEventArb, eventArb, expectSameSnapshot, referenceSnapshot } from './stats-arbitraries.js';

function fed(events: readonly Event[]): Stats {
  const stats = createStats();
  for (const { userId, value } of events) stats.record(userId, value);
  return stats;
}

const eventsArb = fc.array(eventArb, { maxLength: 60 });

describe('createStats', () => {
  it('snapshots the exact sum and average, and the distinct user count', () => {
    fc.assert(
      fc.property(eventsArb, (events) =>
        expectSameSnapshot(fed(events).snapshot(), referenceSnapshot(events)),
      ),
      fcParams(200),
    );
  });

  it('counts each distinct user once, however often it comes back', () => {
    const repeated = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 200 });
    fc.assert(
      fc.property(repeated, (ids) => {
        const stats = createStats();
        for (const id of ids) stats.record(id, 1);
        expect(stats.snapshot().uniqueUsers).toBe(new Set(ids).size);
      }),
      fcParams(100),
    );
  });

  it('gives a bit-identical snapshot for any order of the same events', () => {
    const permuted = eventsArb.chain((events) =>
      fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length })),
    );
    fc.assert(
      fc.property(permuted, ([events, other]) => {
        const a = fed(events);
        const b = fed(other);
        expectSameSnapshot(b.snapshot(), a.snapshot());
        expect(b.exportState().sum).toEqual(a.exportState().sum);
      }),
      fcParams(200),
    );
  });

  it('merges any sharding of the events, in any order, into the one-engine answer', () => {
    const sharded = eventsArb.chain((events) =>
      fc.record({
        events: fc.constant(events),
        shardOf: fc.array(fc.nat(4), { minLength: events.length, maxLength: events.length }),
        order: fc.shuffledSubarray([0, 1, 2, 3, 4], { minLength: 5 }),
        via: fc.constantFrom('state', 'structuredClone', 'json'),
        after: fc.array(eventArb, { maxLength: 5 }),
      }),
    );
    fc.assert(
      fc.property(sharded, ({ events, shardOf, order, via, after }) => {
        const shards = order.map(() => createStats());
        for (const [i, { userId, value }] of events.entries()) shards[shardOf[i]!]!.record(userId, value);
        const merged = createStats();
        for (const k of order) {
          const state = shards[k]!.exportState();
          if (via === 'state') merged.mergeState(state);
          else if (via === 'structuredClone') merged.mergeState(structuredClone(state));
          else merged.mergeState(JSON.parse(JSON.stringify(state)) as StatsState);
        }
        expectSameSnapshot(merged.snapshot(), fed(events).snapshot());
        // A merged engine goes on counting like any other.
        for (const { userId, value } of after) merged.record(userId, value);
        expectSameSnapshot(merged.snapshot(), referenceSnapshot([...events, ...after]));
      }),
      fcParams(150),
    );
  });

  it('recordBatch with one bad event anywhere changes nothing and names its index', () => {
    const batchWithBadEvent = fc
      .tuple(eventsArb, fc.array(eventArb, { maxLength: 20 }), badEventArb)
      .chain(([before, batch, bad]) =>
        fc.tuple(fc.constant(before), fc.constant(batch), fc.constant(bad), fc.nat(batch.length)),
      );
    fc.assert(
      fc.property(batchWithBadEvent, ([before, batch, bad, index]) => {
        const stats = fed(before);
        const snapshot = stats.snapshot();
        const state = stats.exportState();
        const events = [...batch.slice(0, index), bad, ...batch.slice(index)] as Event[];
        let thrown: unknown;
        try {
          stats.recordBatch(events);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(StatsError);
        expect((thrown as StatsError).index).toBe(index);
        expect((thrown as StatsError).code).toBe('INVALID_EVENT');
        expect((thrown as StatsError).message).toContain(`event ${index}`);
        expectSameSnapshot(stats.snapshot(), snapshot);
        expect(stats.exportState()).toEqual(state);
        // The same batch without the bad event is accepted whole.
        stats.recordBatch(batch);
        expectSameSnapshot(stats.snapshot(), referenceSnapshot([...before, ...batch]));
      }),
      fcParams(200),
    );
  });

  it('record with an invalid event throws and changes nothing', () => {
    fc.assert(
      fc.property(eventsArb, badEventArb, (before, bad) => {
        const stats = fed(before);
        const state = stats.exportState();
        expect(() => stats.record(bad.userId as string, bad.value as number)).toThrow(StatsError);
        expect(stats.exportState()).toEqual(state);
        expectSameSnapshot(stats.snapshot(), referenceSnapshot(before));
      }),
      fcParams(200),
    );
  });

  it('mergeState with a malformed state throws and changes nothing', () => {
    const stats = fed([
      { userId: 'a', value: 1.5 },
      { userId: 'b', value: -(2 ** -1074) },
    ]);
    const state = stats.exportState();
    const good = fed([{ userId: 'c', value: 3 }]).exportState();
    const bad: unknown[] = [
      { ...good, totalRequests: -1 },
      { ...good, totalRequests: 1.5 },
      { ...good, totalRequests: Number.NaN },
      { ...good, users: 'c' },
      { ...good, users: [3] },
      { ...good, sum: { limbs: [Number.NaN] } },
      { ...good, sum: { naive: 3 } },
    ];
    for (const b of bad) expect(() => stats.mergeState(b as StatsState)).toThrow(TypeError);
    expect(stats.exportState()).toEqual(state);
  });

  it('reset forgets everything', () => {
    fc.assert(
      fc.property(eventsArb, eventsArb, (before, after) => {
        const stats = fed(before);
        stats.reset();
        expectSameSnapshot(stats.snapshot(), referenceSnapshot([]));
        for (const { userId, value } of after) stats.record(userId, value);
        expectSameSnapshot(stats.snapshot(), referenceSnapshot(after));
      }),
      fcParams(100),
    );
  });
});
