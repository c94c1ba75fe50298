import { createStats, type Event, ExactSum } from '@1mrc/core';
import { createRedisStore, type RedisStore } from '@1mrc/store-redis';
import {
  type RedisClusterProcess,
  type RedisProcess,
  skipWithoutRedis,
  startRedis,
  startRedisCluster,
} from '@1mrc/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const skip = skipWithoutRedis();
/** The machine is shared and noisy: these tests are about answers, not about timeouts. */
const PATIENT = { commandTimeoutMs: 10_000, connectTimeoutMs: 10_000 } as const;

/** Doubles from every part of the exponent range, subnormals and the extremes included. */
const EXTREMES = [
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  2 ** -1022,
  2 ** -1022 - Number.MIN_VALUE,
  -0,
  0,
  1,
  -1,
  0.1,
  2 ** 53,
  2 ** 1023,
  -(2 ** 1023),
  1e300,
  -1e-300,
];

function spread(count: number, seed: number): number[] {
  // A deterministic walk over sign, exponent and significand: every limb position is hit.
  const out: number[] = [];
  let x = seed >>> 0;
  const bits = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const exponent = i % 2047; // 0 (subnormal) .. 2046
    bits.setUint32(0, ((i & 1) << 31) | (exponent << 20) | (x & 0xfffff));
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    bits.setUint32(4, x);
    out.push(bits.getFloat64(0));
  }
  return out;
}

function expected(events: readonly Event[]) {
  const stats = createStats();
  for (const { userId, value } of events) stats.record(userId, value);
  return stats.snapshot();
}

function events(values: readonly number[], users = 97): Event[] {
  return values.map((value, i) => ({ userId: `u${i % users}`, value }));
}

describe.skipIf(skip).each([
  ['standalone', false],
  ['cluster', true],
] as const)('Redis store on %s', (_name, cluster) => {
  let redis: RedisProcess | undefined;
  let redisCluster: RedisClusterProcess | undefined;
  let store: RedisStore;
  let prefixes = 0;

  const fresh = (): RedisStore => {
    const s = createRedisStore(
      redisCluster
        ? { cluster: redisCluster.seeds, prefix: `t${prefixes++}:`, ...PATIENT }
        : { url: redis!.url, prefix: `t${prefixes++}:`, shards: 4, ...PATIENT },
    );
    return s;
  };

  const freshReady = async (): Promise<RedisStore> => {
    const s = fresh();
    await s.ready();
    return s;
  };

  beforeAll(async () => {
    if (cluster) redisCluster = await startRedisCluster();
    else redis = await startRedis();
    store = fresh();
    await store.ready();
  });

  afterAll(async () => {
    await store?.close();
    await redis?.stop();
    await redisCluster?.stop();
  });

  it('is bit-identical to createStats on values that stress every limb', async () => {
    const s = await freshReady();
    const values = [...EXTREMES, ...spread(4000, 1), ...EXTREMES.map((v) => -v)];
    const all = events(values);
    // Singles (grouped as they arrive) and batches (split per shard) both.
    await Promise.all(all.slice(0, 1000).map((e) => s.record(e.userId, e.value)));
    for (let i = 1000; i < all.length; i += 500) await s.recordBatch(all.slice(i, i + 500));
    expect(await s.snapshot()).toEqual(expected(all));
    await s.close();
  });

  it('cancels exactly: many ±MAX_VALUE and subnormals leave the small remainder', async () => {
    const s = await freshReady();
    const values: number[] = [];
    for (let i = 0; i < 3000; i++) values.push(Number.MAX_VALUE, Number.MIN_VALUE, 1e-310);
    for (let i = 0; i < 3000; i++) values.push(-Number.MAX_VALUE, -1e-310);
    const all = events(values, 5);
    for (let i = 0; i < all.length; i += 1000) await s.recordBatch(all.slice(i, i + 1000));
    const snapshot = await s.snapshot();
    expect(snapshot).toEqual(expected(all));
    expect(snapshot.sum).toBe(3000 * Number.MIN_VALUE);
    await s.close();
  });

  it('holds every limb below 2^53 and normalised after a run over the whole exponent range', async () => {
    const s = await freshReady();
    const values = spread(6000, 7);
    const all = events(values, 1);
    for (let i = 0; i < all.length; i += 2000) await s.recordBatch(all.slice(i, i + 2000));
    // Read the raw limbs through the store's own read: core's merge refuses any limb out of range.
    const sum = new ExactSum();
    for (const v of values) sum.add(v);
    expect((await s.snapshot()).sum).toBe(sum.value());
    await s.close();
  });

  it('agrees with createStats on random events in any grouping (property)', async () => {
    const s = await freshReady();
    const seen: Event[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            userId: fc.string({ minLength: 1, maxLength: 8 }),
            value: fc.double({ noNaN: true, noDefaultInfinity: true }),
          }),
          { maxLength: 40 },
        ),
        fc.boolean(),
        async (batch, asBatch) => {
          if (asBatch) await s.recordBatch(batch);
          else await Promise.all(batch.map((e) => s.record(e.userId, e.value)));
          seen.push(...batch);
          expect(await s.snapshot()).toEqual(expected(seen));
        },
      ),
      { numRuns: 40 },
    );
    await s.close();
  });

  it.skipIf(cluster)(
    'group commit: concurrent events share script calls; a batch is one call per shard',
    async () => {
      const s = await freshReady();
      const scriptCalls = (): number => {
        const stats = redis!.cli('INFO', 'commandstats');
        const calls = (name: string): number =>
          Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
        return calls('evalsha') + calls('eval');
      };
      redis!.cli('CONFIG', 'RESETSTAT');
      await Promise.all(Array.from({ length: 1000 }, (_, i) => s.record(`g${i}`, i)));
      const forSingles = scriptCalls();
      expect(forSingles).toBeGreaterThan(0);
      expect(forSingles).toBeLessThan(1000);
      redis!.cli('CONFIG', 'RESETSTAT');
      // 4 shards: a batch of many users touches each once.
      await s.recordBatch(
        events(
          Array.from({ length: 200 }, (_, i) => i),
          200,
        ),
      );
      expect(scriptCalls()).toBe(4);
      await s.close();
    },
  );

  it('refuses what createStats refuses, in the same words, and stores nothing', async () => {
    const s = await freshReady();
    const refusal = async (run: () => unknown): Promise<unknown> => {
      try {
        await run();
      } catch (error) {
        return { ...(error as object), message: (error as Error).message };
      }
      return 'accepted';
    };
    const bad: readonly [unknown, unknown][] = [
      ['\ud800', 1], // a lone surrogate: no UTF-8 for it
      ['é'.repeat(200), 1], // 400 UTF-8 bytes
      ['', 1],
      [7, 1],
      [undefined, 1],
      ['u', Number.NaN],
      ['u', Number.POSITIVE_INFINITY],
      ['u', '1'],
      ['u', undefined],
    ];
    const engine = createStats();
    for (const [userId, value] of bad) {
      const expected = await refusal(() => engine.record(userId as string, value as number));
      expect(expected).toMatchObject({ code: 'INVALID_EVENT' });
      expect(await refusal(() => s.record(userId as string, value as number))).toEqual(expected);
      const batch = [
        { userId: 'fine', value: 1 },
        { userId, value },
      ] as Event[];
      const expectedBatch = await refusal(() => engine.recordBatch(batch));
      expect(expectedBatch).toMatchObject({ code: 'INVALID_EVENT', index: 1 });
      expect(await refusal(() => s.recordBatch(batch))).toEqual(expectedBatch);
    }
    expect(await s.snapshot()).toEqual({ totalRequests: 0, uniqueUsers: 0, sum: 0, avg: 0 });
    await s.close();
  });

  it('reset clears only its own prefix', async () => {
    const a = await freshReady();
    const b = await freshReady();
    await a.record('x', 1);
    await b.record('y', 2);
    await a.reset();
    expect(await a.snapshot()).toEqual({ totalRequests: 0, uniqueUsers: 0, sum: 0, avg: 0 });
    expect(await b.snapshot()).toEqual({ totalRequests: 1, uniqueUsers: 1, sum: 2, avg: 2 });
    await a.close();
    await b.close();
  });

  it('counts a user once across shards and stores', async () => {
    const a = await freshReady();
    const b = createRedisStore(a.spec.options);
    await b.ready();
    await a.recordBatch(events([1, 2, 3, 4, 5, 6, 7, 8], 4));
    await b.recordBatch(events([1, 2, 3, 4], 4));
    expect(await b.snapshot()).toEqual(
      expected([...events([1, 2, 3, 4, 5, 6, 7, 8], 4), ...events([1, 2, 3, 4], 4)]),
    );
    await a.close();
    await b.close();
  });
});
