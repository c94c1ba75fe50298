/**
 * The challenge server on uWebSockets.js: one catch-all handler hands the request head to the
 * shared HTTP contract (@1mrc/core/http), reads the body when asked, and writes the reply.
 */

import type { HttpRequest, HttpResponse, us_listen_socket, us_socket } from 'uWebSockets.js';
import { createContract, type Route } from '@1mrc/core/http';
import { type RunningServer, runningServer, type Serve, type ServeOptions, serverSetup } from '@1mrc/server';
import { serveWorkers, workerCount } from '@1mrc/server/workers';
import { Exchange } from './exchange.js';
import { readHead } from './head.js';
import { createNativeApp } from './native.js';

export { UWS_INSTALL, type UwsAvailability, type UwsUnavailableCode, uwsAvailability } from './native.js';

export const serve: Serve = async (options: ServeOptions = {}): Promise<RunningServer> => {
  // On several workers: worker threads, each with its own App on the same port (uWS sets
  // SO_REUSEPORT on Linux) and its own shard; /stats merges them all (see @1mrc/server/workers).
  if (workerCount(options.workers) > 1) return serveWorkers('threads', import.meta.url, options);
  const setup = serverSetup(options);
  const { host, port } = setup;
  const contract = createContract(setup.contract);
  const { uws, app } = createNativeApp();

  // Requests whose handler has run but whose reply is not written yet, for a graceful close.
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  const connections = {
    contract,
    closing: false,
    settle(): void {
      if (--inFlight === 0) onIdle?.();
    },
  };

  app.any('/*', (res: HttpResponse, req: HttpRequest) => {
    const head = readHead(req);
    if (head === undefined) {
      // Framed two ways: dropped without an answer. A 400 with `Connection: close` would not
      // do, as this build goes on parsing what already arrived behind it, and would handle (and
      // count) the request hidden in the body; `close()` stops it at once.
      res.close();
      return;
    }
    inFlight++;
    const exchange = new Exchange(res, head.method === 'HEAD', connections);
    let route: Route;
    try {
      route = contract.route(head);
    } catch {
      route = { reply: contract.internalError };
    }
    if (route.limit === undefined) exchange.answer(route.reply);
    else exchange.read(route);
  });

  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(host, port, (socket) => {
      if (socket) return resolve(socket);
      app.close();
      reject(
        new Error(`@1mrc/adapter-uws: cannot listen on ${host}:${port} (in use, or not a local address)`),
      );
    });
  });
  const actualPort = uws.us_socket_local_port(listenSocket as unknown as us_socket);

  const drain = (): Promise<void> =>
    new Promise((resolve) => {
      connections.closing = true;
      uws.us_listen_socket_close(listenSocket);
      // Deferred out of whatever uWS callback settled the last request; a request that came in
      // meanwhile on a kept-alive connection is waited for too (and its connection closed).
      onIdle = () =>
        setImmediate(() => {
          if (inFlight > 0 || onIdle === undefined) return;
          onIdle = undefined;
          app.close(); // Drops the idle keep-alive connections that are left.
          resolve();
        });
      if (inFlight === 0) onIdle();
    });

  return runningServer(setup, actualPort, drain);
};
