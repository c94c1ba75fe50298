/**
 * Building blocks for adapters that run on node:http (`@1mrc/adapter-fastify` uses them):
 * the request head the contract reads, reading a body within a limit, handling a connection's requests one at a time,
 * and the `http.Server` options.
 */
export { admit, hold, release } from './connection-order.js';
export { BAD_FRAMING, refusedHead } from './framing.js';
export { readBody } from './read-body.js';
export { requestHead } from './request-head.js';
export { type NodeServerOptions, serverOptions } from './server-options.js';
