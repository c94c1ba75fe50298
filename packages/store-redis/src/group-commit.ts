/**
 * Group commit for one shard: while a call to the shard is in flight, the events that arrive
 * wait and then go together in the shard's next call, one script applying them all atomically.
 * A batch's part for this shard is never split over two calls.
 */
import { type Event, ExactSum, type ExactSumState } from '@1mrc/core';

interface Waiting {
  readonly events: readonly Event[];
  resolve(): void;
  reject(error: unknown): void;
}

/** What one call carries: events, the exact increment of the sum, every user id. */
export interface Group {
  readonly events: number;
  readonly sum: ExactSumState;
  readonly users: readonly string[];
}

export class ShardWriter {
  readonly #send: (group: Group) => Promise<unknown>;
  readonly #maxGroupEvents: number;
  readonly #sum = new ExactSum();
  #waiting: Waiting[] = [];
  #busy = false;

  constructor(send: (group: Group) => Promise<unknown>, maxGroupEvents: number) {
    this.#send = send;
    this.#maxGroupEvents = maxGroupEvents;
  }

  /** Resolves once Redis confirmed the script that applied these events; rejects otherwise. */
  write(events: readonly Event[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ events, resolve, reject });
      if (!this.#busy) this.#next();
    });
  }

  #next(): void {
    if (this.#waiting.length === 0) {
      this.#busy = false;
      return;
    }
    this.#busy = true;
    let taken = 0;
    let count = 0;
    while (taken < this.#waiting.length && (taken === 0 || count < this.#maxGroupEvents)) {
      const next = this.#waiting[taken]!;
      if (taken > 0 && count + next.events.length > this.#maxGroupEvents) break;
      count += next.events.length;
      taken++;
    }
    const group = this.#waiting.slice(0, taken);
    this.#waiting = this.#waiting.slice(taken);
    const users: string[] = new Array(count);
    let u = 0;
    // The sum's increment, exact, with core's accumulator: the script only adds limbs.
    const sum = this.#sum;
    for (const waiting of group) {
      for (const { userId, value } of waiting.events) {
        users[u++] = userId;
        sum.add(value);
      }
    }
    const state = sum.export();
    sum.reset();
    let sent: Promise<unknown>;
    try {
      sent = this.#send({ events: count, sum: state, users });
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      () => {
        for (const waiting of group) waiting.resolve();
        this.#next();
      },
      (error: unknown) => {
        for (const waiting of group) waiting.reject(error);
        this.#next();
      },
    );
  }
}
