import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Contract, Reply, Route } from '@1mrc/core/http';
import { admit, hold, release } from './connection-order.js';
import { BAD_FRAMING, refusedHead } from './framing.js';
import { headerLines } from './header-lines.js';
import { readBody } from './read-body.js';
import { requestHead } from './request-head.js';

export interface ListenerOptions {
  /**
   * Asked before each answer is written: while it returns `true`, answers say
   * `Connection: close` and end their connection. `serve` uses it to drain on `close()`.
   */
  readonly isDraining?: () => boolean;
}

type BodyRoute = Extract<Route, { limit: number }>;

const never = (): boolean => false;

/**
 * A `node:http` request listener that serves the contract; mount it on any `http.Server`.
 * Requests on one connection are handled one after another and answered in order,
 * pipelined ones included (see connection-order.ts).
 */
export function createRequestListener(contract: Contract, options: ListenerOptions = {}): RequestListener {
  const { tooLarge, internalError } = contract;
  const isDraining = options.isDraining ?? never;

  const write = (res: ServerResponse, reply: Reply): void => {
    // With an async store the client may be gone by now: no one is left to answer.
    if (res.destroyed) return;
    if (isDraining()) res.shouldKeepAlive = false;
    res.writeHead(reply.status, headerLines(reply));
    res.end(reply.body);
    release(res.req.socket, res.shouldKeepAlive, start);
  };

  const writeLater = (res: ServerResponse, reply: Reply | Promise<Reply>): void => {
    if (reply instanceof Promise) {
      hold(res.req.socket);
      reply.then(
        (ready) => write(res, ready),
        () => write(res, internalError),
      );
    } else {
      write(res, reply);
    }
  };

  // The unread rest of the body would be taken for the next request, so the connection ends.
  const refuse = (res: ServerResponse, reply: Reply = tooLarge): void => {
    res.shouldKeepAlive = false;
    write(res, reply);
  };

  const answer = (res: ServerResponse, route: BodyRoute, body: Uint8Array): void => {
    // The connection died while the body was read: node:http answers a parse error in bytes
    // that came after this request (data after `Connection: close`, say) with its own 400 and
    // destroys the socket, yet still ends this body. Its client was told 400: record nothing.
    if (res.req.socket.destroyed) return;
    let reply: Reply | Promise<Reply>;
    try {
      reply = route.handle(body);
    } catch {
      reply = internalError;
    }
    writeLater(res, reply);
  };

  const routeOf = (req: IncomingMessage): Route => {
    try {
      return contract.route(requestHead(req));
    } catch {
      return { reply: internalError };
    }
  };

  function start(res: ServerResponse): void {
    const { req } = res;
    if (refusedHead(req)) {
      refuse(res, BAD_FRAMING);
      return;
    }
    const route = routeOf(req);
    if (route.limit !== undefined) {
      hold(req.socket);
      readBody(req, route.limit, (body) => (body === undefined ? refuse(res) : answer(res, route, body)));
    } else if (route.reply === tooLarge) {
      refuse(res);
    } else {
      writeLater(res, route.reply);
    }
  }

  return (req, res) => admit(req.socket, res, start);
}
