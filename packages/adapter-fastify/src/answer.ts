/**
 * The per-request half of the plugin: route through the contract, read the raw body within
 * the route's limit, write the contract's reply bytes through `reply.send`. Fastify's body
 * parsing, validation and serialisation never see these requests, so nothing it would
 * coerce, reject or re-encode differently from the contract can leak into an answer.
 */

import { createFlow, type Flow } from '@1mrc/adapter-node/helpers';
import type { Contract } from '@1mrc/core/http';
import type { FastifyReply } from 'fastify';

/** `admit` answers a request in its connection's turn; `fail` answers 500 with the contract's bytes. */
export type Answerer = Flow<FastifyReply>;

export function createAnswerer(contract: Contract, isDraining: () => boolean): Answerer {
  return createFlow<FastifyReply>(contract, isDraining, {
    request: (reply) => reply.request.raw,
    write(reply, answer, close) {
      const res = reply.raw;
      // With an async store the client may be gone by now: no one is left to answer.
      if (res.destroyed || reply.sent) return undefined;
      if (close) res.shouldKeepAlive = false;
      reply.code(answer.status).headers(answer.headers).send(answer.body);
      // Fastify itself asks for `Connection: close` while it is closing.
      return res.shouldKeepAlive && res.getHeader('connection') !== 'close';
    },
  });
}
