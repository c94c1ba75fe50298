/**
 * The worker side: a shard store that records locally and asks the primary for `snapshot` and
 * `reset`, and `serveShard`, which runs an adapter's `serve` on it for the primary.
 */
import {
  createStats,
  type Event,
  type EventStore,
  type Snapshot,
  type StatsOptions,
  type StatsState,
} from '@1mrc/core';
import type { ServeOptions } from '../index.js';
import { createServerMetrics } from '../metrics/server-metrics.js';
import { errorMessage, type ShardOptions, type SharedStoreSpec, type WorkerPort } from './protocol.js';

/** A worker's store: records locally; `snapshot` and `reset` go through the primary. */
export interface ShardStore extends EventStore {
  snapshot(): Promise<Snapshot>;
  reset(): Promise<void>;
  /** Sends everything not handed over yet as the final delta; call once the server has drained. */
  handOver(): void;
  /** The exposition of every worker's metrics, summed by the primary. */
  metrics(): Promise<string>;
  /** Remakes the (still empty) shard with these options; `serveShard` calls it on `start`. */
  configure(options: StatsOptions): void;
}

export function createShardStore(port: WorkerPort): ShardStore {
  let shard = createStats();
  let nextId = 0;
  const waiting = new Map<number, { resolve: (answer: never) => void; reject: (e: Error) => void }>();
  function ask(kind: 'stats' | 'reset'): Promise<Snapshot>;
  function ask(kind: 'metrics'): Promise<string>;
  function ask(kind: 'stats' | 'reset' | 'metrics'): Promise<Snapshot | string> {
    return new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      port.postMessage({ kind, id });
    });
  }
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
      case 'metrics-answer':
      case 'refused': {
        const waiter = waiting.get(message.id);
        waiting.delete(message.id);
        const resolve = waiter?.resolve as ((answer: Snapshot | string) => void) | undefined;
        if (message.kind === 'answer') resolve?.(message.snapshot);
        else if (message.kind === 'metrics-answer') resolve?.(message.text);
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
    configure: (options) => {
      shard = createStats(options);
    },
    metrics: () => ask('metrics'),
  };
}

/** Anything with the shape of an adapter's `serve`, seen from a worker. */
export type ShardServe = (
  options: Omit<ShardOptions, 'metrics'> & Pick<ServeOptions, 'metrics'> & { store: EventStore },
) => Promise<{ readonly port: number; close(): Promise<void> }>;

export interface ShardServeOptions {
  /**
   * Whether this worker's metrics include its process's memory and CPU: yes for a process of
   * its own, no for a thread, whose process the primary already measures. Default yes.
   */
  readonly processMetrics?: boolean;
}

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
export function serveShard(
  port: WorkerPort,
  serve: ShardServe,
  options: ShardServeOptions = {},
): RunningShard {
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
      // maxUsers is the shard's own: each worker's engine applies it to its own users.
      const { maxUsers, storeSpec, ...startOptions } = message.options;
      try {
        store.configure({ maxUsers });
      } catch (error) {
        port.postMessage({ kind: 'start-failed', message: errorMessage(error) });
        return;
      }
      // /metrics on any worker answers the sum over all: the primary gathers every registry.
      const metrics =
        startOptions.metrics === false
          ? false
          : createServerMetrics({
              processMetrics: (options.processMetrics ?? true) && 'basic',
              exposition: store.metrics,
            });
      if (metrics) {
        port.onMessage((report) => {
          if (report.kind !== 'report-metrics') return;
          void metrics
            .registry()
            .then((registry) => registry.getMetricsAsJSON())
            .then(
              (json) => port.postMessage({ kind: 'metrics-report', round: report.round, metrics: json }),
              // A report that cannot be made is an empty one, rather than a hanging round.
              () => port.postMessage({ kind: 'metrics-report', round: report.round, metrics: [] }),
            );
        });
      }
      server = openStore(storeSpec, store, (opened) => {
        shared = opened;
      })
        .then((chosen) => serve({ ...startOptions, store: chosen, metrics }))
        .then(
          (running) => {
            port.postMessage({ kind: 'ready', port: running.port });
            return running;
          },
          (error: unknown) => {
            port.postMessage({ kind: 'start-failed', message: errorMessage(error) });
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
      port.postMessage({ kind: 'crashed', message: errorMessage(error) });
      return close();
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
