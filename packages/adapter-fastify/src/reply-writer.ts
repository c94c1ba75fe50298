/**
 * The per-request half of the plugin: the node:http request pipeline (route through the
 * contract, read the raw body within the route's limit), writing the contract's reply bytes
 * through `reply.send`. Fastify's body parsing, validation and serialisation never see these
 * requests, so nothing it would coerce, reject or re-encode differently from the contract can
 * leak into an answer.
 */

import { createRequestPipeline, type RequestPipeline } from '@1mrc/adapter-node/internal';
import type { Contract } from '@1mrc/core/http';
import type { FastifyReply } from 'fastify';

/** `admit` answers a request in its connection's turn; `fail` answers 500 with the contract's bytes. */
export type FastifyPipeline = RequestPipeline<FastifyReply>;

export function createFastifyPipeline(contract: Contract, isDraining: () => boolean): FastifyPipeline {
  return createRequestPipeline<FastifyReply>(contract, isDraining, {
    request: (fastifyReply) => fastifyReply.request.raw,
    write(fastifyReply, reply, close) {
      const res = fastifyReply.raw;
      // With an async store the client may be gone by now: no one is left to answer.
      if (res.destroyed || fastifyReply.sent) return undefined;
      if (close) res.shouldKeepAlive = false;
      fastifyReply.code(reply.status).headers(reply.headers).send(reply.body);
      // Fastify itself asks for `Connection: close` while it is closing.
      return res.shouldKeepAlive && res.getHeader('connection') !== 'close';
    },
  });
}
