/**
 * `@1mrc/core` on fastify 5: `oneMrcPlugin` serves the contract on your instance, `serve`
 * starts a standalone challenge server with it.
 */
import type { AddressInfo } from 'node:net';
import { clientErrorListener, serverOptions } from '@1mrc/adapter-node/internal';
import { LISTEN_BACKLOG, runningServer, type Serve, serverContract, serverSetup } from '@1mrc/server';
import { serveWorkers, workerCount } from '@1mrc/server/workers';
import Fastify, { type FastifyInstance } from 'fastify';
import { contractPlugin } from './plugin.js';

export { type OneMrcPluginOptions, oneMrcPlugin } from './plugin.js';

/** While draining, how often connections that finished their last answer are closed. */
const DRAIN_INTERVAL = 25;

/**
 * Starts the challenge server on fastify 5 (the plugin on a fresh instance): the contract
 * (docs/http-api.md) over `options.store` (default a new in-memory `createStats()`), on
 * `options.port` (default 8080) of `options.host` (default `127.0.0.1`), or on `options.workers`
 * processes. Resolves once it listens; `close()` drains. A bad option rejects with a `TypeError`
 * that quotes it.
 */
export const serve: Serve = async (options = {}) => {
  // On several workers: node:cluster processes sharing one listening handle, each serving as
  // below with its own shard; /stats merges them all (see @1mrc/server/workers).
  if (workerCount(options.workers) > 1) return serveWorkers('cluster', import.meta.url, options);
  const setup = serverSetup(options);
  // The same server options as `@1mrc/adapter-node` (see there for why).
  const http = serverOptions(setup.timeouts);
  let draining = false;
  const contract = serverContract(setup);
  const { plugin, pipeline } = contractPlugin(contract, {
    isDraining: () => draining,
  });
  const app = Fastify({
    logger: false,
    // Fastify sets these two on the server itself, with its own defaults otherwise.
    keepAliveTimeout: http.keepAliveTimeout,
    requestTimeout: http.requestTimeout,
    http,
    maxRequestsPerSocket: 0,
    // While draining, a request on an open connection is answered (with Connection: close), not 503.
    return503OnClosing: false,
    // A path the router cannot percent-decode is still the contract's to answer (a 404).
    frameworkErrors: (_error, _request, reply) => pipeline.admit(reply),
    // A head llhttp refuses gets the contract's answer, as on node:http, not fastify's own JSON.
    clientErrorHandler: clientErrorListener(contract),
  });
  try {
    await app.register(plugin);
    await app.listen({ port: setup.port, host: setup.host, backlog: LISTEN_BACKLOG });
  } catch (error) {
    await app.close();
    throw error;
  }
  return runningServer(setup, (app.server.address() as AddressInfo).port, () => {
    draining = true;
    return drain(app);
  });
};

/**
 * `app.close()` stops accepting and closes the connections idle at that moment; those busy
 * then close after their answer (it says `Connection: close`), and this sweep catches any
 * that went idle in between.
 */
async function drain(app: FastifyInstance): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), DRAIN_INTERVAL);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
  }
}
