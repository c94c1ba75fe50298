/**
 * One request at a time per connection. node:http emits every pipelined request at once
 * and only queues the answers, so `POST /event` then `GET /stats` in one packet would read
 * the stats before the event's body was even read. RFC 9112 §9.3.2 allows that only for
 * safe methods; here a request starts only once the one before it on its connection was
 * answered. A connection that is about to close starts nothing more: no answer could reach
 * the client, so nothing may be counted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

const STATE = Symbol('1mrc.connection');
/** A request on this connection is being handled; later ones must wait. */
const BUSY = 1;
/** The last answer ends the connection. */
const CLOSING = 2;

/** `[req, res, req, res, …]`: requests waiting their turn, in arrival order. */
type Waiting = (IncomingMessage | ServerResponse)[];

interface Connection extends Socket {
  [STATE]?: typeof BUSY | typeof CLOSING | Waiting | undefined;
}

export type Start = (req: IncomingMessage, res: ServerResponse) => void;

/** Starts `req` now if its connection is free; else queues it (or drops it if closing). */
export function admit(req: IncomingMessage, res: ServerResponse, start: Start): void {
  const connection: Connection = req.socket;
  const state = connection[STATE];
  if (state === undefined) start(req, res);
  else if (state === BUSY) connection[STATE] = [req, res];
  else if (state !== CLOSING) state.push(req, res);
}

/** Marks the connection busy: `req` will be answered later (body to read, store to wait for). */
export function hold(req: IncomingMessage): void {
  const connection: Connection = req.socket;
  // Requests may already be waiting behind it: keep them.
  if (connection[STATE] === undefined) connection[STATE] = BUSY;
}

/** Called once `res` is written: starts the requests that waited behind it, in order. */
export function release(res: ServerResponse, start: Start): void {
  const connection: Connection = res.req.socket;
  const state = connection[STATE];
  if (!res.shouldKeepAlive) {
    connection[STATE] = CLOSING;
    return;
  }
  if (state === undefined || state === CLOSING) return;
  connection[STATE] = undefined;
  if (state === BUSY) return;
  for (let i = 0; i < state.length; i += 2) {
    start(state[i] as IncomingMessage, state[i + 1] as ServerResponse);
    if (connection[STATE] !== undefined) {
      // That one is held (or closed the connection): the rest wait behind it.
      const rest = state.slice(i + 2);
      if (connection[STATE] === BUSY && rest.length > 0) connection[STATE] = rest;
      return;
    }
  }
}
