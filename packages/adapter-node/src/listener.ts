import type { RequestListener, ServerResponse } from 'node:http';
import type { Contract } from '@1mrc/core/http';
import { headerLines } from './header-lines.js';
import { createRequestPipeline } from './request-pipeline.js';

export interface ListenerOptions {
  /**
   * Asked before each answer is written: while it returns `true`, answers say
   * `Connection: close` and end their connection. `serve` uses it to drain on `close()`.
   */
  readonly isDraining?: () => boolean;
}

const never = (): boolean => false;

/**
 * A `node:http` request listener that serves the contract; mount it on any `http.Server`.
 * Requests on one connection are handled one after another and answered in order,
 * pipelined ones included (see connection-order.ts). Also listen for `clientError` with
 * `clientErrorListener(contract)` so that heads the parser refuses get the contract's answer.
 */
export function createRequestListener(contract: Contract, options: ListenerOptions = {}): RequestListener {
  const pipeline = createRequestPipeline<ServerResponse>(contract, options.isDraining ?? never, {
    request: (res) => res.req,
    write(res, reply, close) {
      // With an async store the client may be gone by now: no one is left to answer.
      if (res.destroyed) return undefined;
      if (close) res.shouldKeepAlive = false;
      res.writeHead(reply.status, headerLines(reply));
      res.end(reply.body);
      return res.shouldKeepAlive;
    },
  });
  return (_req, res) => pipeline.admit(res);
}
