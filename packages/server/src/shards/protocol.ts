/**
 * The messages between a worker and the primary, and the link they travel on. Plain data only:
 * `postMessage` (worker_threads) and cluster IPC must be able to carry every message.
 */
import type { EventStore, Snapshot, StatsState } from '@1mrc/core';
import type { ServeOptions } from '../index.js';

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
export type ShardOptions = Omit<ServeOptions, 'store' | 'workers' | 'metrics'> & {
  readonly metrics?: boolean;
  /** Set: the worker serves on its own store built from it, not on a shard of the primary's. */
  readonly storeSpec?: SharedStoreSpec;
};

/** One registry's metrics as prom-client's `getMetricsAsJSON()` gives them: plain data. */
export type MetricsReport = readonly object[];

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
  | { readonly kind: 'crashed'; readonly message: string }
  /** Asks for the exposition of every worker's metrics, summed. */
  | { readonly kind: 'metrics'; readonly id: number }
  | { readonly kind: 'metrics-report'; readonly round: number; readonly metrics: MetricsReport };

/** Primary → worker. */
export type PrimaryMessage =
  | { readonly kind: 'start'; readonly options: ShardOptions }
  | { readonly kind: 'collect'; readonly round: number }
  | { readonly kind: 'answer'; readonly id: number; readonly snapshot: Snapshot }
  | { readonly kind: 'refused'; readonly id: number; readonly message: string }
  | { readonly kind: 'report-metrics'; readonly round: number }
  | { readonly kind: 'metrics-answer'; readonly id: number; readonly text: string }
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

/** The one line an error becomes when it crosses the link (messages carry text, not errors). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
