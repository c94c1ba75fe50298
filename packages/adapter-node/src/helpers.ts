/**
 * Building blocks for adapters that run on node:http (`@1mrc/adapter-fastify` uses them):
 * the request head the contract reads, reading a body within a limit, and handling a connection's requests one at a time.
 */
export { admit, hold, release } from './connection-order.js';
export { readBody } from './read-body.js';
export { requestHead } from './request-head.js';
