/**
 * The worker side: a shard store that records locally and asks the primary for `snapshot` and
 * `reset`, and `serveShard`, which runs an adapter's `serve` on it for the primary.
 */
import { createStats, type Event, type EventStore, type Snapshot, type StatsState } from '@1mrc/core';
import { errorMessage, type ShardOptions, type WorkerPort } from './protocol.js';

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
  const close = (): Promise<void> =>
    (closing ??= (server ?? Promise.resolve(undefined)).then((running) => running?.close()));
  let handedOver!: () => void;
  const done = new Promise<void>((resolve) => {
    handedOver = resolve;
  });
  port.onMessage((message) => {
    if (message.kind === 'start' && server === undefined) {
      server = serve({ ...message.options, store }).then(
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
