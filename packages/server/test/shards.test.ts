/**
 * The sharded engine (src/shards/) in one process: N worker-side shard stores and one aggregator,
 * linked either by links whose deliveries fast-check's scheduler orders (every interleaving of
 * records, /stats requests and messages is fair game), or by real `MessageChannel`s.
 *
 * A failing property prints `{ seed, path }`; replay it with
 * `FC_SEED=<seed> FC_PATH=<path> pnpm vitest run packages/server/test/shards.test.ts -t "<name>"`.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { createStats, type Snapshot } from '@1mrc/core';
import type { ServerMetrics } from '@1mrc/server';
import {
  type Aggregator,
  createAggregator,
  type PrimaryMessage,
  type PrimaryPort,
  type ShardMessage,
  type ShardStore,
  serveShard,
  type WorkerPort,
} from '@1mrc/server/shards';
import { fcParams } from '@1mrc/testkit/fc';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

/** One direction of an ordered link: messages queue up and arrive in order, one per delivery. */
interface Pipe<T> {
  send(message: T): void;
  listen(listener: (message: T) => void): void;
}

/** Every delivery is a task of the scheduler; a delivery hands over the oldest message (FIFO). */
function scheduledPipe<T>(s: fc.Scheduler, label: string): Pipe<T> {
  const queue: T[] = [];
  const listeners: ((message: T) => void)[] = [];
  return {
    send(message) {
      queue.push(structuredClone(message));
      void s.schedule(Promise.resolve(), label).then(() => {
        const next = queue.shift() as T;
        for (const listener of listeners) listener(next);
      });
    },
    listen: (listener) => void listeners.push(listener),
  };
}

function scheduledLink(s: fc.Scheduler, i: number): { primary: PrimaryPort; worker: WorkerPort } {
  const down = scheduledPipe<PrimaryMessage>(s, `to worker ${i}`);
  const up = scheduledPipe<ShardMessage>(s, `from worker ${i}`);
  return {
    primary: { postMessage: down.send, onMessage: up.listen },
    worker: { postMessage: up.send, onMessage: down.listen },
  };
}

const channels: MessagePort[] = [];
afterEach(() => {
  for (const port of channels.splice(0)) port.close();
});

function channelLink(): { primary: PrimaryPort; worker: WorkerPort } {
  const { port1, port2 } = new MessageChannel();
  channels.push(port1, port2);
  return {
    primary: { postMessage: (m) => port1.postMessage(m), onMessage: (fn) => port1.on('message', fn) },
    worker: { postMessage: (m) => port2.postMessage(m), onMessage: (fn) => port2.on('message', fn) },
  };
}

interface Cluster {
  readonly aggregator: Aggregator;
  readonly shards: ShardStore[];
  /** Each worker's metrics, as its `serve` got them. */
  readonly metrics: ServerMetrics[];
  readonly links: { primary: PrimaryPort; worker: WorkerPort }[];
  readonly fatal: Error[];
  /** Resolves once every worker is started (the ports they report are checked too). */
  readonly ready: Promise<void>;
}

/** N workers running `serveShard` with a stand-in `serve` that only hands back the store. */
function cluster(links: { primary: PrimaryPort; worker: WorkerPort }[], timeoutMs?: number): Cluster {
  const fatal: Error[] = [];
  const aggregator = createAggregator({ onFatal: (error) => fatal.push(error), timeoutMs });
  const shards: ShardStore[] = [];
  const metrics: ServerMetrics[] = [];
  links.forEach(({ worker }, i) => {
    serveShard(exitsAfterFinal(worker), async (options) => {
      if (typeof options.metrics === 'object') metrics[i] = options.metrics;
      // Like a server's drain, close waits for the /stats requests it is answering.
      const store = options.store as ShardStore;
      const inFlight = new Set<Promise<unknown>>();
      shards[i] = {
        ...store,
        snapshot() {
          const answer = store.snapshot();
          inFlight.add(answer);
          void answer.finally(() => inFlight.delete(answer)).catch(() => {});
          return answer;
        },
      };
      return {
        port: options.port ?? 0,
        close: async () => {
          await Promise.allSettled(inFlight);
        },
      };
    });
  });
  const ready = Promise.all(
    links.map(({ primary }, i) => aggregator.start(primary, { port: 9000 + i }, `worker ${i + 1}`)),
  ).then((ports) => {
    expect(ports).toEqual(links.map((_, i) => 9000 + i));
  });
  return { aggregator, shards, metrics, links, fatal, ready };
}

/** Like a worker process: once it has sent its final delta it is gone and reads nothing more. */
function exitsAfterFinal(port: WorkerPort): WorkerPort {
  let gone = false;
  return {
    postMessage(message) {
      if (message.kind === 'final') gone = true;
      port.postMessage(message);
    },
    onMessage: (listener) => port.onMessage((message) => gone || listener(message)),
  };
}

/** Equal as JSON would tell, and bit-equal in sum and avg. */
function expectSame(actual: Snapshot, expected: Snapshot): void {
  expect(actual).toEqual(expected);
  expect(Object.is(actual.sum, expected.sum) && Object.is(actual.avg, expected.avg)).toBe(true);
}

const userId = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'ü', '🙂');
/** Values whose sum float addition gets wrong, so a lost or doubled event shows in `sum`. */
const value = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(1e308, -1e308, 1, 2 ** -1074, 0.1, 2 ** 53, -(2 ** 53)),
  fc.integer({ min: -1000, max: 1000 }),
);

type Action =
  | { readonly kind: 'record'; readonly worker: number; readonly userId: string; readonly value: number }
  | { readonly kind: 'stats'; readonly worker: number; readonly wait: boolean }
  | { readonly kind: 'deliver'; readonly steps: number };

function actions(workers: number): fc.Arbitrary<Action[]> {
  const worker = fc.nat(workers - 1);
  return fc.array(
    fc.oneof(
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('record' as const), worker, userId, value }) },
      {
        weight: 2,
        arbitrary: fc.record({ kind: fc.constant('stats' as const), worker, wait: fc.boolean() }),
      },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('deliver' as const), steps: fc.nat(4) }) },
    ),
    { maxLength: 40 },
  );
}

describe.each([2, 4])('%i workers', (workers) => {
  it('every /stats from any worker sees every event acknowledged before it, and exact totals', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), actions(workers), async (s, script) => {
        const c = cluster(Array.from({ length: workers }, (_, i) => scheduledLink(s, i)));
        await s.waitFor(c.ready);
        const reference = createStats();
        const inFlight: Promise<void>[] = [];
        for (const action of script) {
          if (action.kind === 'record') {
            // Synchronous: once `record` returns, an adapter would answer 200.
            c.shards[action.worker]!.record(action.userId, action.value);
            reference.record(action.userId, action.value);
          } else if (action.kind === 'stats') {
            const before = reference.snapshot();
            const answer = c.shards[action.worker]!.snapshot();
            if (action.wait) {
              // Nothing recorded while it is in flight: the answer is exactly the reference.
              expectSame(await s.waitFor(answer), before);
            } else {
              inFlight.push(
                answer.then((snapshot) => {
                  // Events recorded meanwhile may or may not be in; those before must be.
                  const after = reference.snapshot();
                  expect(snapshot.totalRequests).toBeGreaterThanOrEqual(before.totalRequests);
                  expect(snapshot.totalRequests).toBeLessThanOrEqual(after.totalRequests);
                  expect(snapshot.uniqueUsers).toBeGreaterThanOrEqual(before.uniqueUsers);
                  expect(snapshot.uniqueUsers).toBeLessThanOrEqual(after.uniqueUsers);
                }),
              );
            }
          } else {
            for (let i = 0; i < action.steps && s.count() > 0; i++) await s.waitOne();
          }
        }
        await s.waitFor(Promise.all(inFlight));
        const last = c.shards[0]!.snapshot();
        expectSame(await s.waitFor(last), reference.snapshot());
        expectSame(await s.waitFor(c.aggregator.store.snapshot()), reference.snapshot());
        expect(c.fatal).toEqual([]);
      }),
      fcParams(300),
    );
  });

  it('close hands over every final delta: one merged snapshot of all events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.tuple(fc.nat(workers - 1), userId, value), { maxLength: 80 }),
        fc.array(fc.nat(workers - 1), { maxLength: 4 }),
        async (s, events, statsFrom) => {
          const c = cluster(Array.from({ length: workers }, (_, i) => scheduledLink(s, i)));
          await s.waitFor(c.ready);
          const reference = createStats();
          for (const [worker, user, v] of events) {
            c.shards[worker]!.record(user, v);
            reference.record(user, v);
          }
          // /stats requests still in flight while the workers drain are answered too.
          const answers = statsFrom.map((worker) => c.shards[worker]!.snapshot());
          await s.waitFor(c.aggregator.close());
          for (const answer of await s.waitFor(Promise.all(answers))) {
            expect(answer.totalRequests).toBe(reference.snapshot().totalRequests);
          }
          expectSame(await s.waitFor(c.aggregator.store.snapshot()), reference.snapshot());
          // Every worker handed over, so their exits are expected.
          for (const { primary } of c.links) c.aggregator.exited(primary, 'exited with code 0');
          expect(c.fatal).toEqual([]);
        },
      ),
      fcParams(100),
    );
  });

  it('over real MessageChannels: concurrent /stats from every worker, exact at the end', async () => {
    const c = cluster(Array.from({ length: workers }, () => channelLink()));
    await c.ready;
    const reference = createStats();
    const values = fc.sample(fc.tuple(fc.nat(workers - 1), userId, value), { numRuns: 2000, seed: 42 });
    const answers: Promise<Snapshot>[] = [];
    const floors: number[] = [];
    values.forEach(([worker, user, v], i) => {
      c.shards[worker]!.record(user, v);
      reference.record(user, v);
      if (i % 100 === 0) {
        floors.push(i + 1);
        answers.push(c.shards[(i / 100) % workers]!.snapshot());
      }
    });
    const settled = await Promise.all(answers);
    settled.forEach((answer, i) => {
      expect(answer.totalRequests).toBeGreaterThanOrEqual(floors[i]!);
    });
    expectSame(await c.shards[workers - 1]!.snapshot(), reference.snapshot());
  });
});

describe('coalescing', () => {
  it('concurrent /stats requests share gather rounds', async () => {
    const links = [channelLink(), channelLink()];
    let collects = 0;
    links.forEach(({ worker }) => {
      worker.onMessage((message) => {
        if (message.kind === 'collect') collects++;
      });
    });
    const c = cluster(links);
    await c.ready;
    c.shards[0]!.record('a', 1);
    const answers = Array.from({ length: 50 }, (_, i) => c.shards[i % 2]!.snapshot());
    for (const answer of await Promise.all(answers)) expect(answer.totalRequests).toBe(1);
    // The first request starts a round; all that arrive during it share the next one.
    expect(collects).toBeLessThanOrEqual(2 * 2);
  });
});

describe('metrics', () => {
  it('/metrics from any worker is the sum over every worker', async () => {
    const c = cluster([channelLink(), channelLink(), channelLink()]);
    await c.ready;
    expect(c.metrics).toHaveLength(3);
    c.metrics.forEach((metrics, i) => {
      metrics.accepted(i + 1);
      for (let k = 0; k <= i; k++) metrics.route('/event').answered(200, 0.001 * (k + 1));
      metrics.refused('INVALID_JSON');
    });
    const line = (text: string, series: string): string | undefined =>
      text.split('\n').find((l) => l.startsWith(`${series} `));
    for (const metrics of c.metrics) {
      const text = await metrics.exposition();
      expect(line(text, 'onemrc_events_accepted_total')).toBe('onemrc_events_accepted_total 6');
      expect(line(text, 'onemrc_http_requests_total{route="/event",status="200"}')).toMatch(/ 6$/);
      expect(line(text, 'onemrc_http_request_duration_seconds_count{route="/event"}')).toMatch(/ 6$/);
      expect(line(text, 'onemrc_events_refused_total{code="INVALID_JSON"}')).toMatch(/ 3$/);
    }
  });
});

describe('reset', () => {
  it('clears every shard and the master; events after it count', async () => {
    const c = cluster([channelLink(), channelLink()]);
    await c.ready;
    c.shards[0]!.record('a', 1);
    c.shards[1]!.record('b', 2);
    await c.shards[0]!.snapshot(); // Moves some counts into the master.
    c.shards[1]!.record('c', 3);
    await c.shards[1]!.reset();
    c.shards[0]!.record('d', 4);
    expectSame(await c.shards[1]!.snapshot(), { totalRequests: 1, uniqueUsers: 1, sum: 4, avg: 4 });
  });
});

describe('a lost worker is never silent', () => {
  it('a worker that stops answering fails the aggregator loudly and refuses /stats', async () => {
    const links = [channelLink(), channelLink()];
    // Worker 2's shard stops reading its link after start: it never answers a collect.
    const mute = links[1]!;
    let started = false;
    const worker: WorkerPort = {
      postMessage: (m) => mute.worker.postMessage(m),
      onMessage: (fn) =>
        mute.worker.onMessage((m) => {
          if (!started || m.kind === 'start') fn(m);
          if (m.kind === 'start') started = true;
        }),
    };
    const c = cluster([links[0]!, { primary: mute.primary, worker }], 200);
    await c.ready;
    c.shards[0]!.record('a', 1);
    await expect(c.shards[0]!.snapshot()).rejects.toThrow(/worker 2 did not answer a collect within 200 ms/);
    expect(c.fatal).toHaveLength(1);
    expect(c.fatal[0]!.message).toMatch(/worker 2/);
    // Later requests are refused at once, not answered with partial counts.
    await expect(c.shards[0]!.snapshot()).rejects.toThrow(/worker 2/);
    await expect(c.aggregator.store.snapshot()).rejects.toThrow(/worker 2/);
    await expect(c.aggregator.close()).rejects.toThrow(/worker 2/);
  });

  it('a worker that exits before handing over fails it, pending requests included', async () => {
    const c = cluster([channelLink(), channelLink(), channelLink()]);
    await c.ready;
    c.shards[2]!.record('a', 1);
    const pending = c.shards[0]!.snapshot();
    c.aggregator.exited(c.links[2]!.primary, 'was killed by SIGKILL');
    await expect(pending).rejects.toThrow(/worker 3 was killed by SIGKILL before handing over its counts/);
    expect(c.fatal.map((e) => e.message)).toEqual([
      'worker 3 was killed by SIGKILL before handing over its counts: its acknowledged events are lost',
    ]);
    c.aggregator.exited(c.links[1]!.primary, 'exited with code 1');
    expect(c.fatal).toHaveLength(1); // Reported once.
  });

  it('a worker that dies while the others drain fails close()', async () => {
    const links = [channelLink(), channelLink()];
    const c = cluster(links);
    await c.ready;
    const closing = c.aggregator.close();
    c.aggregator.exited(links[1]!.primary, 'exited with code 1');
    // Worker 1 may already have handed over; worker 2 had not.
    await expect(closing).rejects.toThrow(/worker 2 exited with code 1/);
  });

  it('a worker that cannot start makes start reject with its error', async () => {
    const { primary, worker } = channelLink();
    serveShard(worker, async () => {
      throw new Error('cannot listen on 127.0.0.1:80');
    });
    const aggregator = createAggregator({ onFatal: () => {} });
    await expect(aggregator.start(primary, {}, 'worker 1')).rejects.toThrow('cannot listen on 127.0.0.1:80');
  });
});
