import type { HttpResponse } from 'uWebSockets.js';
import type { Contract, Reply, Route } from '@1mrc/core/http';
import { type BodySink, readBody } from './body.js';
import { writeReply } from './reply.js';

/** What every exchange shares with its server. */
export interface Connections {
  readonly contract: Contract;
  /** Set while the server drains: each reply then closes its connection. */
  readonly closing: boolean;
  /** Called once per request, when its reply is written or its client is gone. */
  settle(): void;
}

type BodyRoute = Extract<Route, { readonly limit: number }>;

/**
 * One request's life on uWS: answered at once, or after its body, or after a promise.
 * One object per request rather than a handful of closures; `aborted` guards every write,
 * since uWS forbids touching a response after its client left.
 */
export class Exchange implements BodySink {
  #done = false;
  #aborted = false;
  #route: BodyRoute | undefined;

  constructor(
    private readonly res: HttpResponse,
    /** HEAD: write the head only. */
    private readonly headOnly: boolean,
    private readonly server: Connections,
  ) {}

  /** Writes `reply`, at once if it is one, or once its promise settles. */
  answer(reply: Reply | Promise<Reply>): void {
    if (!(reply instanceof Promise)) {
      this.send(reply);
      return;
    }
    // uWS requires an abort handler before the request handler returns without answering.
    if (this.#route === undefined) this.watchAbort();
    reply.then(
      (value) => this.later(value),
      () => this.later(this.server.contract.internalError),
    );
  }

  /** Reads the body `route` asks for, then answers what its `handle` returns. */
  read(route: BodyRoute): void {
    this.#route = route;
    this.watchAbort();
    readBody(this.res, route.limit, this);
  }

  onBody(body: Uint8Array): void {
    let reply: Reply | Promise<Reply>;
    try {
      reply = (this.#route as BodyRoute).handle(body);
    } catch {
      reply = this.server.contract.internalError;
    }
    this.answer(reply);
  }

  onTooLarge(): void {
    this.send(this.server.contract.tooLarge);
  }

  private watchAbort(): void {
    this.res.onAborted(() => {
      this.#aborted = true;
      if (!this.#done) this.server.settle();
    });
  }

  /** Outside a uWS callback, writes go in one cork. */
  private later(reply: Reply): void {
    if (!this.#aborted) this.res.cork(() => this.send(reply));
  }

  private send(reply: Reply): void {
    if (this.#done || this.#aborted) return;
    this.#done = true;
    // A body past its limit, announced or found while reading, is not read on (it may be
    // endless, chunked): the connection goes after the 413, as with the node adapter.
    const closeConnection = this.server.closing || reply === this.server.contract.tooLarge;
    try {
      writeReply(this.res, reply, this.headOnly, closeConnection);
    } catch {
      // Only a malformed reply (a contract bug) gets here; a throw out of a uWS callback
      // would end the process, so the connection goes instead.
      this.res.close();
    }
    this.server.settle();
  }
}
