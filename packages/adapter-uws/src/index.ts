/**
 * The challenge server on uWebSockets.js: one catch-all handler hands the request head to the
 * shared HTTP contract (@1mrc/core/http), reads the body when asked, and writes the reply.
 */

import type { HttpRequest, HttpResponse, us_listen_socket, us_socket } from 'uWebSockets.js';
import type { Route } from '@1mrc/core/http';
import {
  type RunningServer,
  runningServer,
  type Serve,
  type ServeOptions,
  serverContract,
  serverSetup,
} from '@1mrc/server';
import { serveWorkers, workerCount } from '@1mrc/server/workers';
import { writesAfterRead } from './after-read.js';
import { askedToClose, readHead } from './head.js';
import { InFlightRequest } from './in-flight-request.js';
import { createNativeApp } from './native.js';

export { UWS_INSTALL, type UwsAvailability, type UwsUnavailableCode, uwsAvailability } from './native.js';

/**
 * Starts the challenge server on uWebSockets.js: the contract (docs/http-api.md) over
 * `options.store` (default a new in-memory `createStats()`), on `options.port` (default 8080) of
 * `options.host` (default `127.0.0.1`), or on `options.workers` threads. Resolves once it listens;
 * `close()` drains. A bad option rejects with a `TypeError` that quotes it. Chunked request bodies
 * are refused with 411 (this build's chunked parser is unsafe, see docs/reliability.md).
 */
export const serve: Serve = async (options: ServeOptions = {}): Promise<RunningServer> => {
  // On several workers: worker threads, each with its own App on the same port (uWS sets
  // SO_REUSEPORT on Linux) and its own shard; /stats merges them all (see @1mrc/server/workers).
  if (workerCount(options.workers) > 1) return serveWorkers('threads', import.meta.url, options);
  const setup = serverSetup(options);
  const { host, port } = setup;
  // An asynchronous store's writes wait for the end of the read that brought them (after-read.ts).
  const contract = serverContract({
    ...setup,
    contract: { ...setup.contract, store: writesAfterRead(setup.contract.store) },
  });
  const { uws, app } = createNativeApp();

  // Requests whose handler has run but whose reply is not written yet, for a graceful close.
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  const state = {
    contract,
    closing: false,
    settle(): void {
      if (--inFlight === 0) onIdle?.();
    },
  };

  app.any('/*', (res: HttpResponse, req: HttpRequest) => {
    const head = readHead(req);
    inFlight++;
    const request = new InFlightRequest(res, state, askedToClose());
    let route: Route;
    try {
      route = contract.route(head);
    } catch (error) {
      route = { reply: contract.fail(error, { route: 'adapter-uws' }) };
    }
    const reply = route.limit === undefined ? route.reply : undefined;
    if (reply !== undefined && !(reply instanceof Promise) && reply.close) {
      request.refuse(reply);
    } else if (head.transferEncoding !== undefined) {
      // This build's chunked parser reads trailers as a request, accepts a chunk without its
      // CRLF or longer than its size, and ends a body at `0\r\n`: no chunked body is read, on
      // any route (uWS would parse one itself after a bodiless answer).
      request.refuse(contract.lengthRequired);
    } else if (route.limit === undefined) {
      request.answer(route.reply);
    } else {
      request.read(route);
    }
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
      state.closing = true;
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
