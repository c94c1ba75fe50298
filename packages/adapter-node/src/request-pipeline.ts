/**
 * The per-connection request pipeline on node:http, whatever writes the answer: route each
 * request through the contract, read its body within the route's limit, hand it over, and write
 * the reply in the connection's turn. `@1mrc/adapter-node` writes through the `ServerResponse`,
 * `@1mrc/adapter-fastify` through fastify's `Reply`; only `ReplyWriter` differs.
 */
import type { IncomingMessage } from 'node:http';
import type { Contract, Reply, Route } from '@1mrc/core/http';
import { admit, hold, release } from './connection-order.js';
import { readBody } from './read-body.js';
import { requestHead } from './request-head.js';

export interface ReplyWriter<T> {
  /** The node:http request behind `target`. */
  request(target: T): IncomingMessage;
  /**
   * Writes `reply`, ending the connection after it when `close`; returns whether the connection
   * stays open, or `undefined` when nothing was written (the client is gone).
   */
  write(target: T, reply: Reply, close: boolean): boolean | undefined;
}

export interface RequestPipeline<T> {
  /** Handles the request in its connection's turn (pipelined requests wait). */
  admit(target: T): void;
  /** Answers 500 with the contract's bytes, and reports `error` through the contract's `onError`. */
  fail(target: T, error: unknown): void;
}

type BodyRoute = Extract<Route, { limit: number }>;

export function createRequestPipeline<T>(
  contract: Contract,
  isDraining: () => boolean,
  writer: ReplyWriter<T>,
): RequestPipeline<T> {
  const { tooLarge } = contract;
  const socketOf = (target: T) => writer.request(target).socket;

  const send = (target: T, reply: Reply): void => {
    const keepAlive = writer.write(target, reply, reply.close === true || isDraining());
    if (keepAlive !== undefined) release(socketOf(target), keepAlive, start);
  };

  const sendLater = (target: T, reply: Reply | Promise<Reply>): void => {
    if (reply instanceof Promise) {
      hold(socketOf(target));
      // The contract's promises do not reject; a rejection here is a bug, answered and reported.
      reply.then(
        (ready) => send(target, ready),
        (error: unknown) => send(target, contract.fail(error, { route: 'adapter-node' })),
      );
    } else {
      send(target, reply);
    }
  };

  const handle = (target: T, route: BodyRoute, body: Uint8Array): void => {
    // The connection died while the body was read: node:http answers a parse error in bytes
    // that came after this request (data after `Connection: close`, say) with a 400 and
    // destroys the socket, yet still ends this body. Its client was told 400: record nothing.
    if (socketOf(target).destroyed) return;
    let reply: Reply | Promise<Reply>;
    try {
      reply = route.handle(body);
    } catch (error) {
      reply = contract.fail(error, { route: 'adapter-node' });
    }
    sendLater(target, reply);
  };

  function start(target: T): void {
    const req = writer.request(target);
    let route: Route;
    try {
      route = contract.route(requestHead(req));
    } catch (error) {
      route = { reply: contract.fail(error, { route: 'adapter-node' }) };
    }
    if (route.limit !== undefined) {
      const bodyRoute = route;
      hold(req.socket);
      // A body past the limit: the unread rest would be taken for the next request, so the
      // connection ends (`tooLarge.close`).
      readBody(req, route.limit, (body) =>
        body === undefined ? send(target, tooLarge) : handle(target, bodyRoute, body),
      );
    } else {
      sendLater(target, route.reply);
    }
  }

  return {
    admit: (target) => admit(socketOf(target), target, start),
    fail: (target, error) => send(target, contract.fail(error, { route: 'adapter' })),
  };
}
