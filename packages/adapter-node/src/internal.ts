/**
 * @internal Not a public API: the seam `@1mrc/adapter-fastify` (the other adapter on node:http)
 * is built on, the request pipeline with only the writing of the reply left to the caller, the
 * `clientError` answer, and the `http.Server` options. It is a subpath only because two packages
 * of this repository share it; it is undocumented and may change in any release.
 */
export { clientErrorListener } from './client-error.js';
export { createRequestPipeline, type ReplyWriter, type RequestPipeline } from './request-pipeline.js';
export { type NodeServerOptions, serverOptions } from './server-options.js';
