/** One accepted event: `userId` is a non-empty string, `value` a finite number. */
export interface Event {
  readonly userId: string;
  readonly value: number;
}

/** The challenge's `/stats` answer: one consistent instant, always JSON-safe. */
export interface Snapshot {
  readonly totalRequests: number;
  readonly uniqueUsers: number;
  /** The double nearest to the exact sum of all accepted values (ties to even). */
  readonly sum: number;
  /** The double nearest to (exact sum) / totalRequests; 0 when there are no events. */
  readonly avg: number;
}

/**
 * What an adapter needs from a store. The in-memory engine answers synchronously;
 * a shared store (Redis, another process) may return promises. An adapter answers 200
 * only after `record`/`recordBatch` returned or its promise resolved.
 */
export interface EventStore {
  record(userId: string, value: number): void | Promise<void>;
  /** All-or-nothing: events are already validated when an adapter calls this. */
  recordBatch(events: readonly Event[]): void | Promise<void>;
  snapshot(): Snapshot | Promise<Snapshot>;
  reset(): void | Promise<void>;
  /**
   * Optional: whether the store can take writes now. `/health` reports it; a store without it
   * is always up (the in-memory engine).
   */
  health?(): StoreHealth | Promise<StoreHealth>;
  /** Optional: releases connections and timers; a server calls it once, after draining. */
  close?(): void | Promise<void>;
  /**
   * Optional: `true` when `record`/`recordBatch` answer with a promise (a store across the
   * network). An adapter whose transport drops a connection while a reply is pending (uWS,
   * when a pipelined request arrives) then starts a write only once it knows the connection
   * stays: an event is never stored for a client that could not get its 200.
   */
  readonly asynchronous?: boolean;
}

/** What `EventStore.health` answers. */
export interface StoreHealth {
  readonly ok: boolean;
  /** Why not, when `ok` is false: one line for an operator. */
  readonly reason?: string;
}
