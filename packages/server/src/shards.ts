/**
 * One engine split over several workers, exact and read-your-writes. Transport-neutral: a
 * `ShardPort` is any ordered message link (a worker_threads `MessagePort`, cluster IPC, a test's
 * `MessageChannel`); `@1mrc/server/workers` wires these over Node's threads and processes.
 *
 * Each worker records into its own `createStats()` shard: the hot path stays local and
 * synchronous. `/stats` is the only cross-worker path. The worker asks the primary (the
 * aggregator); the primary asks every worker to `collect`: hand over its shard's state since
 * the last collect (a delta) and start afresh. The primary merges every delta into one master
 * `Stats` (`mergeState` is exact: integer counts, a set union of users, an exact sum) and answers.
 *
 * Read-your-writes, the argument. A worker answers 200 for an event only after recording it in
 * its shard. Say a client got that 200 and then sends `GET /stats` to any worker, which asks
 * the primary. A gather round serves only requests that reached the primary before the round
 * began, so the round's `collect` to the event's worker is sent after the event was recorded;
 * messages on a port arrive in order, so that worker exports a delta holding the event, unless
 * an earlier delta (or its final one) already held it. Rounds run one at a time and every delta
 * is merged the moment it arrives, so earlier deltas are in the master before this round ends.
 * Either way the snapshot includes the event. Concurrent requests share one round (coalescing),
 * but a request that arrives while a round is in flight waits for the next one: the round in
 * flight may have collected from a worker before the request's events were recorded.
 *
 * A delta is never dropped: every one is merged whichever round it answers. A worker that dies
 * before handing over its final delta takes acknowledged counts with it, so the aggregator fails
 * loudly (`onFatal`) instead of answering with less than it acknowledged.
 */

import { createStats, type Event, type EventStore, type Snapshot, type StatsState } from '@1mrc/core';
import type { ServeOptions } from './index.js';

/**
 * A store every worker can open on its own (shared state, e.g. Redis): plain data naming a
 * module whose `createStoreFromSpec(options)` builds it. A store object cannot cross threads.
 */
export interface SharedStoreSpec {
  readonly module: string;
  readonly options: unknown;
}

/** The spec of a store that has one (`store.spec`), else undefined. */
export function sharedStoreSpec(store: EventStore | undefined): SharedStoreSpec | undefined {
  const spec = (store as { spec?: Partial<SharedStoreSpec> } | undefined)?.spec;
  return typeof spec?.module === 'string' ? { module: spec.module, options: spec.options } : undefined;
}

/** Serve options a worker gets from the primary: plain data, so `postMessage` can carry it. */
export type ShardOptions = Omit<ServeOptions, 'store' | 'workers'> & {
  /** Set: the worker serves on its own store built from it, not on a shard of the primary's. */
  readonly storeSpec?: SharedStoreSpec;
};

/** Worker → primary. */
export type ShardMessage =
  /** Listening for messages: a child process drops the messages sent before it listens. */
  | { readonly kind: 'hello' }
  | { readonly kind: 'ready'; readonly port: number }
  | { readonly kind: 'start-failed'; readonly message: string }
  | { readonly kind: 'stats'; readonly id: number }
  | { readonly kind: 'reset'; readonly id: number }
  | { readonly kind: 'delta'; readonly round: number; readonly state: StatsState }
  | { readonly kind: 'final'; readonly state: StatsState }
  | { readonly kind: 'crashed'; readonly message: string };

/** Primary → worker. */
export type PrimaryMessage =
  | { readonly kind: 'start'; readonly options: ShardOptions }
  | { readonly kind: 'collect'; readonly round: number }
  | { readonly kind: 'answer'; readonly id: number; readonly snapshot: Snapshot }
  | { readonly kind: 'refused'; readonly id: number; readonly message: string }
  | { readonly kind: 'close' };

/**
 * One end of an ordered link. `onMessage` may be called more than once; every listener sees
 * every message (as with `MessagePort.on('message')` and `process.on('message')`). Messages
 * that are not this protocol's (a `kind` it does not know) are ignored.
 */
export interface ShardPort<Out, In> {
  postMessage(message: Out): void;
  onMessage(listener: (message: In) => void): void;
}

/** The worker's end of the link. */
export type WorkerPort = ShardPort<ShardMessage, PrimaryMessage>;
/** The primary's end of the link to one worker. */
export type PrimaryPort = ShardPort<PrimaryMessage, ShardMessage>;

/** A worker's store: records locally; `snapshot` and `reset` go through the primary. */
export interface ShardStore extends EventStore {
  snapshot(): Promise<Snapshot>;
  reset(): Promise<void>;
  /** Sends everything not handed over yet as the final delta; call once the server has drained. */
  handOver(): void;
}

export function createShardStore(port: WorkerPort): ShardStore {
  const shard = createStats();
  let nextId = 0;
  const waiting = new Map<number, { resolve: (snapshot: Snapshot) => void; reject: (e: Error) => void }>();
  const ask = (kind: 'stats' | 'reset'): Promise<Snapshot> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      port.postMessage({ kind, id });
    });
  const takeState = (): StatsState => {
    const state = shard.exportState();
    shard.reset();
    return state;
  };

  port.onMessage((message) => {
    switch (message.kind) {
      case 'collect':
        port.postMessage({ kind: 'delta', round: message.round, state: takeState() });
        break;
      case 'answer':
      case 'refused': {
        const waiter = waiting.get(message.id);
        waiting.delete(message.id);
        if (message.kind === 'answer') waiter?.resolve(message.snapshot);
        else waiter?.reject(new Error(message.message));
        break;
      }
    }
  });

  return {
    record: (userId: string, value: number): void => shard.record(userId, value),
    recordBatch: (events: readonly Event[]): void => shard.recordBatch(events),
    snapshot: () => ask('stats'),
    reset: async () => {
      await ask('reset');
    },
    handOver: () => port.postMessage({ kind: 'final', state: takeState() }),
  };
}

/** Anything with the shape of an adapter's `serve`, seen from a worker. */
export type ShardServe = (
  options: ShardOptions & { store: EventStore },
) => Promise<{ readonly port: number; close(): Promise<void> }>;

export interface RunningShard {
  /** Settles once the worker has drained and handed over its final delta (after `close`). */
  readonly handedOver: Promise<void>;
  /**
   * For an error nothing caught: tells the primary (which stops the whole server), then drains
   * this worker's server so that its sockets are closed before the worker ends.
   */
  crash(error: unknown): Promise<void>;
}

/**
 * The whole worker side: waits for `start`, serves with a shard store, reports `ready` (or
 * `start-failed`), and on `close` drains its server, then hands over its final delta.
 */
export function serveShard(port: WorkerPort, serve: ShardServe): RunningShard {
  const store = createShardStore(port);
  let server: Promise<{ close(): Promise<void> } | undefined> | undefined;
  let closing: Promise<void> | undefined;
  let shared: EventStore | undefined;
  const close = (): Promise<void> =>
    (closing ??= (server ?? Promise.resolve(undefined))
      .then((running) => running?.close())
      .then(() => closeQuietly(shared)));
  let handedOver!: () => void;
  const done = new Promise<void>((resolve) => {
    handedOver = resolve;
  });
  port.onMessage((message) => {
    if (message.kind === 'start' && server === undefined) {
      const { storeSpec, ...options } = message.options;
      server = openStore(storeSpec, store, (opened) => {
        shared = opened;
      })
        .then((chosen) => serve({ ...options, store: chosen }))
        .then(
          (running) => {
            port.postMessage({ kind: 'ready', port: running.port });
            return running;
          },
          (error: unknown) => {
            port.postMessage({ kind: 'start-failed', message: describe(error) });
            return undefined;
          },
        );
    } else if (message.kind === 'close' && closing === undefined) {
      void close().then(() => {
        store.handOver();
        handedOver();
      });
    }
  });
  port.postMessage({ kind: 'hello' });
  return {
    handedOver: done,
    crash(error) {
      port.postMessage({ kind: 'crashed', message: describe(error) });
      return close();
    },
  };
}

export interface AggregatorOptions {
  /**
   * How long a worker may take to answer a `collect`. A worker whose event loop is stuck that
   * long is taken as broken: the aggregator fails. Default 10 s.
   */
  readonly timeoutMs?: number;
  /** Called once, when a worker is lost or stops answering; pending requests are refused first. */
  readonly onFatal: (error: Error) => void;
}

/** The primary's store: every worker's counts, gathered on each read. */
export interface MergedStore extends EventStore {
  snapshot(): Promise<Snapshot>;
  reset(): Promise<void>;
}

export interface Aggregator {
  /**
   * The merged view of every worker: `snapshot` gathers every worker's delta first, `reset`
   * clears every shard and the master. `record` goes straight into the master.
   */
  readonly store: MergedStore;
  /**
   * Adds a worker; once it says hello, sends it `start`. Resolves with the port it listens on,
   * rejects with its error if it cannot start.
   */
  start(port: PrimaryPort, options: ShardOptions, name: string): Promise<number>;
  /** Asks every worker to drain; resolves once all their final deltas are merged. */
  close(): Promise<void>;
  /**
   * The transport saw this worker exit. Expected once it has handed over its final delta;
   * before that its counts are gone, and the aggregator fails.
   */
  exited(port: PrimaryPort, reason: string): void;
}

interface Worker {
  readonly port: PrimaryPort;
  readonly name: string;
  handedOver: boolean;
}

interface Waiter {
  readonly reset: boolean;
  resolve(snapshot: Snapshot): void;
  reject(error: Error): void;
}

interface Round {
  readonly id: number;
  readonly pending: Set<Worker>;
  readonly waiters: readonly Waiter[];
  readonly timer: ReturnType<typeof setTimeout>;
}

export function createAggregator(options: AggregatorOptions): Aggregator {
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(`Expected timeoutMs to be a positive number, got ${String(timeoutMs)}`);
  }
  const master = createStats();
  const workers = new Map<PrimaryPort, Worker>();
  const starting = new Set<(error: Error) => void>();
  let queued: Waiter[] = [];
  let round: Round | undefined;
  let rounds = 0;
  let failure: Error | undefined;
  let closing: Promise<void> | undefined;
  let onAllHandedOver: (() => void) | undefined;
  let onCloseFailed: ((error: Error) => void) | undefined;

  const fail = (error: Error): void => {
    if (failure) return;
    failure = error;
    if (round) clearTimeout(round.timer);
    for (const waiter of [...(round?.waiters ?? []), ...queued]) waiter.reject(error);
    round = undefined;
    queued = [];
    for (const reject of starting) reject(error);
    starting.clear();
    onCloseFailed?.(error);
    options.onFatal(error);
  };

  const live = (): Worker[] => [...workers.values()].filter((worker) => !worker.handedOver);

  const startRound = (): void => {
    const id = ++rounds;
    const pending = new Set(live());
    const timer = setTimeout(() => {
      const names = [...pending].map((worker) => worker.name).join(', ');
      fail(new Error(`${names} did not answer a collect within ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref?.();
    round = { id, pending, waiters: queued, timer };
    queued = [];
    for (const worker of pending) worker.port.postMessage({ kind: 'collect', round: id });
    finishRound();
  };

  const finishRound = (): void => {
    if (!round || round.pending.size > 0) return;
    const { waiters, timer } = round;
    clearTimeout(timer);
    round = undefined;
    const snapshot = master.snapshot();
    // Resets in the same round as snapshots are concurrent with them: either order is valid.
    if (waiters.some((waiter) => waiter.reset)) master.reset();
    for (const waiter of waiters) waiter.resolve(snapshot);
    if (queued.length > 0) startRound();
  };

  const gather = (reset: boolean): Promise<Snapshot> => {
    if (failure) return Promise.reject(failure);
    return new Promise((resolve, reject) => {
      queued.push({ reset, resolve, reject });
      if (!round) startRound();
    });
  };

  const merge = (worker: Worker, state: StatsState): void => {
    try {
      master.mergeState(state);
    } catch (error) {
      fail(new Error(`${worker.name} handed over a state that cannot be merged: ${describe(error)}`));
    }
  };

  const onMessage = (worker: Worker, message: ShardMessage): void => {
    if (failure) {
      if (message.kind === 'stats' || message.kind === 'reset') {
        worker.port.postMessage({ kind: 'refused', id: message.id, message: failure.message });
      }
      return;
    }
    switch (message.kind) {
      case 'stats':
      case 'reset': {
        const { id } = message;
        gather(message.kind === 'reset').then(
          (snapshot) => worker.port.postMessage({ kind: 'answer', id, snapshot }),
          (error: Error) => worker.port.postMessage({ kind: 'refused', id, message: error.message }),
        );
        break;
      }
      case 'delta':
        merge(worker, message.state);
        if (round?.id === message.round) round.pending.delete(worker);
        finishRound();
        break;
      case 'crashed':
        fail(new Error(`${worker.name} crashed (${message.message}): its acknowledged events are lost`));
        break;
      case 'final':
        merge(worker, message.state);
        worker.handedOver = true;
        round?.pending.delete(worker);
        finishRound();
        if (live().length === 0) onAllHandedOver?.();
        break;
    }
  };

  const store: MergedStore = {
    record: (userId, value) => master.record(userId, value),
    recordBatch: (events) => master.recordBatch(events),
    snapshot: () => gather(false),
    reset: async () => {
      await gather(true);
    },
  };

  return {
    store,
    start(port, shardOptions, name) {
      if (failure) return Promise.reject(failure);
      const worker: Worker = { port, name, handedOver: false };
      workers.set(port, worker);
      return new Promise<number>((resolve, reject) => {
        starting.add(reject);
        port.onMessage((message) => {
          if (message.kind === 'hello') {
            port.postMessage({ kind: 'start', options: shardOptions });
          } else if (message.kind === 'ready' || message.kind === 'start-failed') {
            starting.delete(reject);
            if (message.kind === 'ready') resolve(message.port);
            else reject(new Error(message.message));
          } else {
            onMessage(worker, message);
          }
        });
      });
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        if (failure) return reject(failure);
        onAllHandedOver = resolve;
        onCloseFailed = reject;
        const rest = live();
        if (rest.length === 0) return resolve();
        for (const worker of rest) worker.port.postMessage({ kind: 'close' });
      });
      return closing;
    },
    exited(port, reason) {
      const worker = workers.get(port);
      if (!worker || worker.handedOver || failure) return;
      fail(
        new Error(
          `${worker.name} ${reason} before handing over its counts: its acknowledged events are lost`,
        ),
      );
    },
  };
}

/** A worker's own store is closed once it has drained; a failure to close changes nothing counted. */
async function closeQuietly(store: EventStore | undefined): Promise<void> {
  try {
    await store?.close?.();
  } catch {
    // Its connections die with the worker.
  }
}

/** The worker's own store from `spec`, or its shard of the primary's when there is none. */
async function openStore(
  spec: SharedStoreSpec | undefined,
  shard: EventStore,
  opened: (store: EventStore) => void,
): Promise<EventStore> {
  if (spec === undefined) return shard;
  const { createStoreFromSpec } = (await import(spec.module)) as {
    createStoreFromSpec(options: unknown): EventStore;
  };
  const store = createStoreFromSpec(spec.options);
  opened(store);
  return store;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
