import type { EventStore } from '@1mrc/core';

/**
 * This uWS build drops a connection on which a request head is parsed while an earlier reply is
 * still pending (its HttpContext is "not ready for another request yet"), and the rest of a read
 * is parsed after the request's callbacks returned. With a store that answers later (Redis), a
 * write started at once could be stored for a client that then never gets its 200, because
 * another request was pipelined behind it in the same packet. So, with such a store, a write
 * waits for the end of the read that brought it (one `setImmediate`), and is never started if its
 * connection was dropped meanwhile. Reads (`snapshot`) change nothing and go at once; so does
 * everything with a store that answers at once, where no reply is ever pending.
 *
 * A request in a later packet is held back by `res.pause()` (in-flight-request.ts).
 */

/** The request whose body is being handled, set around the contract's `handle`. */
let reading: { readonly aborted: boolean } | undefined;

/** Marks the writes made from now on as `request`'s (undefined: as no request's). */
export function handling(request: { readonly aborted: boolean } | undefined): void {
  reading = request;
}

function afterRead<T>(write: () => T | Promise<T>): T | Promise<T> {
  const request = reading;
  if (request === undefined) return write();
  return new Promise<T>((resolve, reject) => {
    setImmediate(() => {
      // Its connection is gone: nothing was written and nobody awaits an answer, so this
      // promise is left unsettled and collected with the request.
      if (request.aborted) return;
      try {
        resolve(write());
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** `store`, or, when it says it is asynchronous, `store` with its writes started after the read. */
export function writesAfterRead(store: EventStore): EventStore {
  if (store.asynchronous !== true) return store;
  return {
    record: (userId, value) => afterRead(() => store.record(userId, value)),
    recordBatch: (events) => afterRead(() => store.recordBatch(events)),
    reset: () => afterRead(() => store.reset()),
    snapshot: () => store.snapshot(),
    ...(store.health ? { health: store.health.bind(store) } : {}),
    ...(store.close ? { close: store.close.bind(store) } : {}),
    asynchronous: true,
  };
}
