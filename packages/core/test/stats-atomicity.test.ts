/**
 * Failure atomicity of the engine: `record`, `recordBatch` and `mergeState` apply a whole
 * event, batch or state, or nothing.
 *
 * Fault injection goes through `createStatsOn`, the package-internal seam under `createStats`:
 * the engine's user set and exact sum are wrapped so that the k-th call the operation makes
 * into them throws instead of running. For every k from the first call to the last, the state
 * (`exportState` and `snapshot`) must be exactly what it was before the operation; with no
 * failure, the operation must have applied. Rollback calls (`users.delete`, and `sum.add` of
 * −x after the failure) are not failure points: deleting allocates nothing, and the failure
 * has already happened.
 *
 * Then the real throwers, on `createStats` itself: a new user past `maxUsers`, a non-finite
 * value, a malformed state, a sum state out of range.
 *
 * A failing property prints `{ seed, path }`; replay it with
 * `FC_SEED=<seed> FC_PATH=<path> pnpm vitest run packages/core/test/stats-atomicity.test.ts -t "<name>"`.
 */

import { fcParams } from '@1mrc/testkit/fc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StatsError } from '../src/errors.js';
import { ExactSum } from '../src/exact-sum.js';
import { createStats, createStatsOn, type EngineParts, type Stats, type StatsState } from '../src/stats.js';
import type { Event } from '../src/types.js';
import { UserSet } from '../src/user-set.js';
import { eventArb, expectSameSnapshot, referenceSnapshot } from './stats-arbitraries.js';

class InjectedFailure extends Error {}

/** Counts the calls an operation makes into the engine's parts; the `failAt`-th one throws. */
class Faults {
  calls = 0;
  failAt = -1;
  step(what: string): void {
    if (this.calls++ === this.failAt) throw new InjectedFailure(`injected at call ${this.failAt}: ${what}`);
  }
}

function faultyParts(faults: Faults, spillAt: number): EngineParts {
  const users = new UserSet(spillAt);
  const sum = new ExactSum();
  return {
    users: {
      get size() {
        faults.step('users.size');
        return users.size;
      },
      add: (id) => {
        faults.step(`users.add(${id})`);
        return users.add(id);
      },
      has: (id) => {
        faults.step(`users.has(${id})`);
        return users.has(id);
      },
      delete: (id) => users.delete(id),
      clear: () => users.clear(),
      toArray: () => users.toArray(),
    },
    sum: {
      add: (x) => {
        faults.step(`sum.add(${x})`);
        sum.add(x);
      },
      merge: (state) => {
        faults.step('sum.merge');
        sum.merge(state);
      },
      value: () => sum.value(),
      divide: (n) => sum.divide(n),
      reset: () => sum.reset(),
      export: () => sum.export(),
    },
  };
}

type Operation =
  | { readonly kind: 'record'; readonly event: Event }
  | { readonly kind: 'recordBatch'; readonly events: readonly Event[] }
  | { readonly kind: 'mergeState'; readonly events: readonly Event[] };

/** What an operation adds to the accepted events when it applies. */
const eventsOf = (op: Operation): readonly Event[] => (op.kind === 'record' ? [op.event] : op.events);

function apply(stats: Stats, op: Operation): void {
  if (op.kind === 'record') stats.record(op.event.userId, op.event.value);
  else if (op.kind === 'recordBatch') stats.recordBatch(op.events);
  else {
    const shard = createStats();
    shard.recordBatch(op.events);
    stats.mergeState(shard.exportState());
  }
}

/** The state as comparable data: users sorted (their order is not part of the contract). */
function stateOf(stats: Stats): unknown {
  const { totalRequests, users, sum } = stats.exportState();
  return { totalRequests, users: [...users].sort(), sum, snapshot: stats.snapshot() };
}

const operationArb: fc.Arbitrary<Operation> = fc.oneof(
  eventArb.map((event) => ({ kind: 'record' as const, event })),
  fc.array(eventArb, { maxLength: 12 }).map((events) => ({ kind: 'recordBatch' as const, events })),
  fc.array(eventArb, { maxLength: 12 }).map((events) => ({ kind: 'mergeState' as const, events })),
);

describe('engine atomicity under injected failures', () => {
  it('a failure at any step of record, recordBatch or mergeState changes nothing', () => {
    fc.assert(
      fc.property(
        fc.array(eventArb, { maxLength: 30 }),
        operationArb,
        fc.integer({ min: 1, max: 4 }),
        fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
        (before, op, spillAt, maxUsers) => {
          const engine = (faults: Faults): Stats => {
            const stats = createStatsOn(faultyParts(faults, spillAt), { maxUsers });
            // The prior events run unfaulted; a cap may refuse some of them, which is fine.
            for (const { userId, value } of before) {
              try {
                stats.record(userId, value);
              } catch (error) {
                if (!(error instanceof StatsError && error.code === 'TOO_MANY_USERS')) throw error;
              }
            }
            faults.calls = 0;
            return stats;
          };
          // A clean run: how many calls the operation makes, and whether it applies at all.
          const clean = new Faults();
          const reference = engine(clean);
          const prior = stateOf(reference);
          clean.calls = 0;
          let refused: unknown;
          try {
            apply(reference, op);
          } catch (error) {
            refused = error;
          }
          const steps = clean.calls;
          if (refused === undefined) {
            const accepted = createStats();
            accepted.mergeState(engine(new Faults()).exportState());
            for (const e of eventsOf(op)) accepted.record(e.userId, e.value);
            expectSameSnapshot(reference.snapshot(), accepted.snapshot());
          } else {
            expect(refused).toBeInstanceOf(StatsError);
            expect((refused as StatsError).code).toBe('TOO_MANY_USERS');
            expect(stateOf(reference)).toEqual(prior);
          }
          for (let k = 0; k < steps; k++) {
            const faults = new Faults();
            const stats = engine(faults);
            faults.failAt = k;
            expect(() => apply(stats, op)).toThrow(refused === undefined ? InjectedFailure : Error);
            expect(stateOf(stats), `failure at call ${k} of ${steps}`).toEqual(prior);
          }
        },
      ),
      fcParams(150),
    );
  });
});

describe('engine atomicity under real failures', () => {
  const seeded = (options: { maxUsers?: number } = {}): Stats => {
    const stats = createStats(options);
    stats.recordBatch([
      { userId: 'a', value: 1.5 },
      { userId: 'b', value: -(2 ** -1074) },
    ]);
    return stats;
  };

  it('refuses a new user past maxUsers, keeps counting known ones, and changes nothing else', () => {
    const stats = seeded({ maxUsers: 2 });
    const state = stateOf(stats);
    let thrown: unknown;
    try {
      stats.record('c', 1);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StatsError);
    expect((thrown as StatsError).code).toBe('TOO_MANY_USERS');
    expect((thrown as StatsError).message).toMatch(/maxUsers \(2\)/);
    expect(stateOf(stats)).toEqual(state);
    stats.record('a', 2);
    expectSameSnapshot(
      stats.snapshot(),
      referenceSnapshot([
        { userId: 'a', value: 1.5 },
        { userId: 'b', value: -(2 ** -1074) },
        { userId: 'a', value: 2 },
      ]),
    );
  });

  it('refuses a whole batch whose new users pass maxUsers, naming the first event past it', () => {
    fc.assert(
      fc.property(
        fc.array(eventArb, { maxLength: 20 }),
        fc.array(eventArb, { maxLength: 20 }),
        fc.integer({ min: 1, max: 8 }),
        (before, batch, maxUsers) => {
          const stats = createStats({ maxUsers });
          const kept: Event[] = [];
          for (const e of before) {
            try {
              stats.record(e.userId, e.value);
              kept.push(e);
            } catch (error) {
              expect((error as StatsError).code).toBe('TOO_MANY_USERS');
            }
          }
          const state = stateOf(stats);
          // The model: walk the batch, counting new distinct users, to the first one past the cap.
          const known = new Set(kept.map((e) => e.userId));
          let past = -1;
          for (const [i, e] of batch.entries()) {
            if (known.has(e.userId)) continue;
            if (known.size === maxUsers) {
              past = i;
              break;
            }
            known.add(e.userId);
          }
          if (past === -1) {
            stats.recordBatch(batch);
            expectSameSnapshot(stats.snapshot(), referenceSnapshot([...kept, ...batch]));
          } else {
            expect(() => stats.recordBatch(batch)).toThrow(
              expect.objectContaining({ code: 'TOO_MANY_USERS', index: past }),
            );
            expect(stateOf(stats)).toEqual(state);
          }
          expect(stats.snapshot().uniqueUsers).toBeLessThanOrEqual(maxUsers);
        },
      ),
      fcParams(200),
    );
  });

  it('refuses a whole merge whose new users pass maxUsers', () => {
    const stats = seeded({ maxUsers: 3 });
    const state = stateOf(stats);
    const shard = createStats();
    shard.recordBatch([
      { userId: 'a', value: 1 },
      { userId: 'c', value: 2 },
      { userId: 'd', value: 3 },
    ]);
    expect(() => stats.mergeState(shard.exportState())).toThrow(
      expect.objectContaining({ code: 'TOO_MANY_USERS' }),
    );
    expect(stateOf(stats)).toEqual(state);
    // Within the cap (a known, c new) it merges.
    const fits = createStats();
    fits.recordBatch([
      { userId: 'a', value: 1 },
      { userId: 'c', value: 2 },
    ]);
    stats.mergeState(fits.exportState());
    expect(stats.snapshot()).toMatchObject({ totalRequests: 4, uniqueUsers: 3 });
  });

  it('a non-finite value, a malformed state or a sum state out of range changes nothing', () => {
    const stats = seeded();
    const state = stateOf(stats);
    expect(() => stats.record('new', Number.NaN)).toThrow(StatsError);
    expect(() =>
      stats.recordBatch([
        { userId: 'new', value: 1 },
        { userId: 'x', value: Number.POSITIVE_INFINITY },
      ]),
    ).toThrow(StatsError);
    const good = createStats();
    good.record('new', 1);
    const bad = [
      { ...good.exportState(), sum: { limbs: [Number.NaN] } },
      { ...good.exportState(), totalRequests: Number.MAX_SAFE_INTEGER },
      // A top limb at 2^52 is valid alone; merged twice it would pass the exact range.
      { ...good.exportState(), sum: { limbs: [...Array.from({ length: 66 }, () => 0), 2 ** 52 - 1] } },
    ] as StatsState[];
    expect(() => stats.mergeState(bad[0]!)).toThrow(TypeError);
    expect(() => stats.mergeState(bad[1]!)).toThrow(TypeError);
    expect(stateOf(stats)).toEqual(state);
    stats.mergeState(bad[2]!);
    const merged = stateOf(stats);
    expect(() => stats.mergeState({ ...bad[2]!, users: ['other'] })).toThrow(RangeError);
    expect(stateOf(stats)).toEqual(merged);
  });

  it('validates maxUsers like every limit: a positive safe integer, quoted when refused', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => createStats({ maxUsers: bad })).toThrow(
        new TypeError(`Expected maxUsers to be a positive integer, got ${String(bad)}`),
      );
    }
    expect(createStats({ maxUsers: 1 }).snapshot().uniqueUsers).toBe(0);
  });
});
