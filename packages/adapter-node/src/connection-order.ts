/**
 * One request at a time per connection. node:http emits every pipelined request at once
 * and only queues the answers, so `POST /event` then `GET /stats` in one packet would read
 * the stats before the event's body was even read. RFC 9112 §9.3.2 allows that only for
 * safe methods; here a request starts only once the one before it on its connection was
 * answered. A connection that is about to close starts nothing more: no answer could reach
 * the client, so nothing may be counted.
 *
 * `T` is whatever the caller needs to start a request later (a `ServerResponse`, a
 * fastify `Reply`); the state lives on the socket, so nothing is allocated per request
 * unless requests really wait.
 */
import type { Socket } from 'node:net';

const STATE = Symbol('1mrc.connection');
/** A request on this connection is being handled; later ones must wait. */
const BUSY = 1;
/** The last answer ends the connection. */
const CLOSING = 2;

interface Connection extends Socket {
  /** Idle, busy, closing, or busy with requests waiting their turn in arrival order. */
  [STATE]?: typeof BUSY | typeof CLOSING | unknown[] | undefined;
}

/** Starts the request now if its connection is free; else queues it (or drops it if closing). */
export function admit<T>(socket: Socket, request: T, start: (request: T) => void): void {
  const connection: Connection = socket;
  const state = connection[STATE];
  if (state === undefined) start(request);
  else if (state === BUSY) connection[STATE] = [request];
  else if (state !== CLOSING) state.push(request);
}

/** Marks the connection busy: its current request will be answered later. */
export function hold(socket: Socket): void {
  const connection: Connection = socket;
  // Requests may already be waiting behind it: keep them.
  if (connection[STATE] === undefined) connection[STATE] = BUSY;
}

/**
 * Called once the current request is answered: starts the requests that waited behind it,
 * in order, until one of them is held again. `keepAlive: false` closes the queue for good.
 */
export function release<T>(socket: Socket, keepAlive: boolean, start: (request: T) => void): void {
  const connection: Connection = socket;
  const state = connection[STATE];
  if (!keepAlive) {
    connection[STATE] = CLOSING;
    return;
  }
  if (state === undefined || state === CLOSING) return;
  connection[STATE] = undefined;
  if (state === BUSY) return;
  for (let i = 0; i < state.length; i++) {
    start(state[i] as T);
    const now = connection[STATE];
    if (now !== undefined) {
      // That one is held (or closed the connection): the rest wait behind it.
      if (now === BUSY && i + 1 < state.length) connection[STATE] = state.slice(i + 1);
      return;
    }
  }
}

/** Whether no request of this connection is being handled or waiting: raw bytes written now come next. */
export function isIdle(socket: Socket): boolean {
  return (socket as Connection)[STATE] === undefined;
}
