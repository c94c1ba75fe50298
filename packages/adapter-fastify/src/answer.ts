/**
 * The per-request half of the plugin: route through the contract, read the raw body within
 * the route's limit, write the contract's reply bytes through `reply.send`. Fastify's body
 * parsing, validation and serialisation never see these requests, so nothing it would
 * coerce, reject or re-encode differently from the contract can leak into an answer.
 */

import {
  admit,
  BAD_FRAMING,
  hold,
  readBody,
  refusedHead,
  release,
  requestHead,
} from '@1mrc/adapter-node/helpers';
import type { Contract, Reply, Route } from '@1mrc/core/http';
import type { FastifyReply } from 'fastify';

export interface Answerer {
  /** Answers `reply`'s request in its connection's turn (pipelined requests wait). */
  answer(reply: FastifyReply): void;
  /** Answers 500 with the contract's bytes, saying nothing of the cause. */
  fail(reply: FastifyReply): void;
}

type BodyRoute = Extract<Route, { limit: number }>;

export function createAnswerer(contract: Contract, isDraining: () => boolean): Answerer {
  const { tooLarge, internalError } = contract;

  const send = (reply: FastifyReply, answer: Reply): void => {
    const res = reply.raw;
    // With an async store the client may be gone by now: no one is left to answer.
    if (res.destroyed || reply.sent) return;
    if (isDraining()) res.shouldKeepAlive = false;
    reply.code(answer.status).headers(answer.headers).send(answer.body);
    // Fastify itself asks for `Connection: close` while it is closing.
    const keepAlive = res.shouldKeepAlive && res.getHeader('connection') !== 'close';
    release(reply.request.raw.socket, keepAlive, start);
  };

  const sendLater = (reply: FastifyReply, answer: Reply | Promise<Reply>): void => {
    if (answer instanceof Promise) {
      hold(reply.request.raw.socket);
      answer.then(
        (ready) => send(reply, ready),
        () => send(reply, internalError),
      );
    } else {
      send(reply, answer);
    }
  };

  // The unread rest of the body would be taken for the next request, so the connection ends.
  const refuse = (reply: FastifyReply, answer: Reply = tooLarge): void => {
    reply.raw.shouldKeepAlive = false;
    send(reply, answer);
  };

  const handle = (reply: FastifyReply, route: BodyRoute, body: Uint8Array): void => {
    // As in @1mrc/adapter-node: a connection node:http destroyed after a parse error (its client
    // was told 400) may still end this body; nothing is recorded for it.
    if (reply.request.raw.socket.destroyed) return;
    let answer: Reply | Promise<Reply>;
    try {
      answer = route.handle(body);
    } catch {
      answer = internalError;
    }
    sendLater(reply, answer);
  };

  function start(reply: FastifyReply): void {
    const req = reply.request.raw;
    if (refusedHead(req)) {
      refuse(reply, BAD_FRAMING);
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
        body === undefined ? refuse(reply) : handle(reply, bodyRoute, body),
      );
    } else if (route.reply === tooLarge) {
      refuse(reply);
    } else {
      sendLater(reply, route.reply);
    }
  }

  return {
    answer: (reply) => admit(reply.request.raw.socket, reply, start),
    fail: (reply) => send(reply, internalError),
  };
}
