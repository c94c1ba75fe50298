/**
 * `@1mrc/core` over node:http: `serve` starts a challenge server, `createRequestListener`
 * mounts the same contract on an `http.Server` you own.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LISTEN_BACKLOG, runningServer, type Serve, serverContract, serverSetup } from '@1mrc/server';
import { serveWorkers, workerCount } from '@1mrc/server/workers';
import { clientErrorListener } from './client-error.js';
import { createRequestListener } from './listener.js';
import { serverOptions } from './server-options.js';

export { clientErrorListener } from './client-error.js';
export { createRequestListener, type ListenerOptions } from './listener.js';

/** While draining, how often connections that finished their last answer are closed. */
const DRAIN_INTERVAL = 25;

/**
 * Starts the challenge server on node:http: the contract (docs/http-api.md) over `options.store`
 * (default a new in-memory `createStats()`), on `options.port` (default 8080) of `options.host`
 * (default `127.0.0.1`), or on `options.workers` processes. Resolves once it listens; `close()`
 * drains. Options are checked first: a bad one rejects with a `TypeError` that quotes it.
 */
export const serve: Serve = async (options = {}) => {
  // On several workers: node:cluster processes sharing one listening handle, each serving as
  // below with its own shard; /stats merges them all (see @1mrc/server/workers).
  if (workerCount(options.workers) > 1) return serveWorkers('cluster', import.meta.url, options);
  const setup = serverSetup(options);
  const contract = serverContract(setup);
  let draining = false;
  const listener = createRequestListener(contract, { isDraining: () => draining });
  const server = createServer({ noDelay: true, ...serverOptions(setup.timeouts) }, listener);
  server.on('clientError', clientErrorListener(contract));
  // Unlimited: a load generator keeps its connections for the whole run.
  server.maxRequestsPerSocket = 0;
  await listen(server, setup.port, setup.host);
  return runningServer(setup, (server.address() as AddressInfo).port, () => {
    draining = true;
    return drain(server);
  });
};

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Stops accepting, then closes each connection as soon as it has no request in flight.
 * Answers written from now on say `Connection: close`; `closeIdleConnections` catches the
 * connections that were idle, and, until the last one is gone, those that become idle.
 */
function drain(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), DRAIN_INTERVAL);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}
