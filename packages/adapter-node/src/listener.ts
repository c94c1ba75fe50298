import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Contract, Reply, RequestHead, Route } from '@1mrc/core/http';
import { admit, hold, release } from './connection-order.js';
import { headerLines } from './header-lines.js';
import { readBody } from './read-body.js';

export interface ListenerOptions {
  /**
   * Asked before each answer is written: while it returns `true`, answers say
   * `Connection: close` and end their connection. `serve` uses it to drain on `close()`.
   */
  readonly isDraining?: () => boolean;
}

type BodyRoute = Extract<Route, { limit: number }>;

function headOf(req: IncomingMessage): RequestHead {
  // node:http has already built `req.headers` (it checks Host and Expect), so these are lookups.
  const { headers } = req;
  const length = headers['content-length'];
  return {
    method: req.method ?? '',
    url: req.url ?? '/',
    contentType: headers['content-type'],
    // llhttp has already refused a Content-Length that is not one plain decimal number.
    contentLength: length === undefined ? undefined : Number(length),
    authorization: headers.authorization,
  };
}

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
    release(res, start);
  };

  const writeLater = (req: IncomingMessage, res: ServerResponse, reply: Reply | Promise<Reply>): void => {
    if (reply instanceof Promise) {
      hold(req);
      reply.then(
        (ready) => write(res, ready),
        () => write(res, internalError),
      );
    } else {
      write(res, reply);
    }
  };

  // The unread rest of the body would be taken for the next request, so the connection ends.
  const refuse = (res: ServerResponse): void => {
    res.shouldKeepAlive = false;
    write(res, tooLarge);
  };

  const answer = (req: IncomingMessage, res: ServerResponse, route: BodyRoute, body: Uint8Array): void => {
    let reply: Reply | Promise<Reply>;
    try {
      reply = route.handle(body);
    } catch {
      reply = internalError;
    }
    writeLater(req, res, reply);
  };

  const routeOf = (req: IncomingMessage): Route => {
    try {
      return contract.route(headOf(req));
    } catch {
      return { reply: internalError };
    }
  };

  function start(req: IncomingMessage, res: ServerResponse): void {
    const route = routeOf(req);
    if (route.limit !== undefined) {
      hold(req);
      readBody(req, route.limit, (body) =>
        body === undefined ? refuse(res) : answer(req, res, route, body),
      );
    } else if (route.reply === tooLarge) {
      refuse(res);
    } else {
      writeLater(req, res, route.reply);
    }
  }

  return (req, res) => admit(req, res, start);
}
