/**
 * `@1mrc/core` over node:http: `serve` starts a challenge server, `createRequestListener`
 * mounts the same contract on an `http.Server` you own.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runningServer, type Serve, serverContract, serverSetup } from '@1mrc/server';
import { serveWorkers, workerCount } from '@1mrc/server/workers';
import { createRequestListener } from './listener.js';
import { serverOptions } from './server-options.js';

export { createRequestListener, type ListenerOptions } from './listener.js';

/** While draining, how often connections that finished their last answer are closed. */
const DRAIN_INTERVAL = 25;

export const serve: Serve = async (options = {}) => {
  // On several workers: node:cluster processes sharing one listening handle, each serving as
  // below with its own shard; /stats merges them all (see @1mrc/server/workers).
  if (workerCount(options.workers) > 1) return serveWorkers('cluster', import.meta.url, options);
  const setup = serverSetup(options);
  const contract = serverContract(setup);
  let draining = false;
  const listener = createRequestListener(contract, { isDraining: () => draining });
  const server = createServer({ noDelay: true, ...serverOptions(setup.timeouts) }, listener);
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
    server.listen(port, host, () => {
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
