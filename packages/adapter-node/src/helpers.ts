/**
 * Building blocks for adapters that run on node:http (`@1mrc/adapter-fastify` uses them): the
 * life of a request over the contract with only the writing left to the caller, and the
 * `http.Server` options.
 */
export { createFlow, type Flow, type Writer } from './flow.js';
export { type NodeServerOptions, serverOptions } from './server-options.js';
