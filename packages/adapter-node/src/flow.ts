/**
 * The life of one request on node:http, whatever writes the answer: refuse an ambiguous head,
 * route it through the contract, read the body within the route's limit, hand it over, and
 * write the reply in the connection's turn. `@1mrc/adapter-node` writes through the
 * `ServerResponse`, `@1mrc/adapter-fastify` through fastify's `Reply`; only `Writer` differs.
 */
import type { IncomingMessage } from 'node:http';
import type { Contract, Reply, Route } from '@1mrc/core/http';
import { admit, hold, release } from './connection-order.js';
import { BAD_FRAMING, refusedHead } from './framing.js';
import { readBody } from './read-body.js';
import { requestHead } from './request-head.js';

export interface Writer<T> {
  request(target: T): IncomingMessage;
  /**
   * Writes `reply`, ending the connection after it when `close`; returns whether the connection
   * stays open, or `undefined` when nothing was written (the client is gone).
   */
  write(target: T, reply: Reply, close: boolean): boolean | undefined;
}

export interface Flow<T> {
  /** Handles the request in its connection's turn (pipelined requests wait). */
  admit(target: T): void;
  /** Answers 500 with the contract's bytes, saying nothing of the cause. */
  fail(target: T): void;
}

type BodyRoute = Extract<Route, { limit: number }>;

export function createFlow<T>(contract: Contract, isDraining: () => boolean, writer: Writer<T>): Flow<T> {
  const { tooLarge, internalError } = contract;
  const socketOf = (target: T) => writer.request(target).socket;

  const send = (target: T, reply: Reply, close = false): void => {
    const keepAlive = writer.write(target, reply, close || isDraining());
    if (keepAlive !== undefined) release(socketOf(target), keepAlive, start);
  };

  const sendLater = (target: T, reply: Reply | Promise<Reply>): void => {
    if (reply instanceof Promise) {
      hold(socketOf(target));
      reply.then(
        (ready) => send(target, ready),
        () => send(target, internalError),
      );
    } else {
      send(target, reply);
    }
  };

  // The unread rest of the body would be taken for the next request, so the connection ends.
  const refuse = (target: T, reply: Reply = tooLarge): void => send(target, reply, true);

  const handle = (target: T, route: BodyRoute, body: Uint8Array): void => {
    // The connection died while the body was read: node:http answers a parse error in bytes
    // that came after this request (data after `Connection: close`, say) with its own 400 and
    // destroys the socket, yet still ends this body. Its client was told 400: record nothing.
    if (socketOf(target).destroyed) return;
    let reply: Reply | Promise<Reply>;
    try {
      reply = route.handle(body);
    } catch {
      reply = internalError;
    }
    sendLater(target, reply);
  };

  function start(target: T): void {
    const req = writer.request(target);
    if (refusedHead(req)) {
      refuse(target, BAD_FRAMING);
      return;
    }
    let route: Route;
    try {
      route = contract.route(requestHead(req));
    } catch {
      route = { reply: internalError };
    }
    if (route.limit !== undefined) {
      const bodyRoute = route;
      hold(req.socket);
      readBody(req, route.limit, (body) =>
        body === undefined ? refuse(target) : handle(target, bodyRoute, body),
      );
    } else if (route.reply === tooLarge) {
      refuse(target);
    } else {
      sendLater(target, route.reply);
    }
  }

  return {
    admit: (target) => admit(socketOf(target), target, start),
    fail: (target) => send(target, internalError),
  };
}
