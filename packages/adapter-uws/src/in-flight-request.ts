import type { HttpResponse } from 'uWebSockets.js';
import type { Contract, Reply, Route } from '@1mrc/core/http';
import { handling } from './after-read.js';
import { type BodySink, readBody } from './body.js';
import { writeReply } from './reply.js';

/** What every in-flight request shares with its server. */
export interface ServerState {
  readonly contract: Contract;
  /** Set while the server drains: each reply then closes its connection. */
  readonly closing: boolean;
  /** Called once per request, when its reply is written or its client is gone. */
  settle(): void;
}

type BodyRoute = Extract<Route, { readonly limit: number }>;

/**
 * One request on uWS, from its head to its answer: answered at once, or after its body, or after
 * a promise. One object per request rather than a handful of closures; `aborted` guards every
 * write, since uWS forbids touching a response after its client left.
 */
export class InFlightRequest implements BodySink {
  #done = false;
  #aborted = false;
  #route: BodyRoute | undefined;
  #watching = false;
  #paused = false;

  constructor(
    private readonly res: HttpResponse,
    private readonly server: ServerState,
    /**
     * The client sent `Connection: close`. This build would answer with `Connection: close` yet
     * parse on, and handle a request that came in the same read behind it; so this request is
     * handled only once that read was parsed, which makes uWS abort the connection instead when
     * more bytes came (see `refuse`).
     */
    private readonly closeAfter: boolean,
  ) {}

  /** The client left (uWS called `onAborted`): nothing may be written to it any more. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Writes `reply`, at once if it is one, or once its promise settles. */
  answer(reply: Reply | Promise<Reply>): void {
    if (this.closeAfter && !(reply instanceof Promise)) {
      this.refuse(reply);
      return;
    }
    if (!(reply instanceof Promise)) {
      this.send(reply);
      return;
    }
    // uWS requires an abort handler before the request handler returns without answering.
    this.watchAbort();
    // This build drops a connection on which a request head is parsed while a reply is pending.
    // Paused, the socket is not read again until the reply is written, so a request pipelined in
    // a later packet waits its turn (one in the same packet: see after-read.ts).
    this.#paused = true;
    this.res.pause();
    reply.then(
      (value) => this.later(value),
      (error: unknown) => this.later(this.server.contract.fail(error, { route: 'adapter-uws' })),
    );
  }

  /**
   * Writes `reply`, which ends the connection, once this read of the socket was parsed. This
   * build goes on parsing the bytes that came with a request even after an answer with
   * `Connection: close`, and would handle a request hidden behind an unread body; while an
   * answer is still pending it aborts the connection instead. So the bytes behind a refused head
   * are never read as a request: either nothing follows and the client gets the answer, or the
   * connection is closed.
   */
  refuse(reply: Reply): void {
    this.watchAbort();
    setImmediate(() => this.later(reply));
  }

  /** Reads the body `route` asks for, then answers what its `handle` returns. */
  read(route: BodyRoute): void {
    this.#route = route;
    this.watchAbort();
    readBody(this.res, route.limit, this);
  }

  onBody(body: Uint8Array): void {
    if (this.closeAfter) {
      // uWS lends `body` for this callback only: the deferred handling gets a copy.
      const copy = body.slice();
      setImmediate(() => {
        if (this.#aborted) return;
        const reply = this.handle(copy);
        if (reply instanceof Promise) this.answer(reply);
        else this.later(reply);
      });
      return;
    }
    this.answer(this.handle(body));
  }

  private handle(body: Uint8Array): Reply | Promise<Reply> {
    let reply: Reply | Promise<Reply>;
    // A write the contract makes for this body is this request's (after-read.ts).
    handling(this);
    try {
      reply = (this.#route as BodyRoute).handle(body);
    } catch (error) {
      reply = this.server.contract.fail(error, { route: 'adapter-uws' });
    } finally {
      handling(undefined);
    }
    return reply;
  }

  onTooLarge(): void {
    // Written after this read, like any refusal: the rest of the body and anything behind it
    // are never read as a request.
    this.refuse(this.server.contract.tooLarge);
  }

  private watchAbort(): void {
    if (this.#watching) return;
    this.#watching = true;
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
    try {
      // Nothing is read between these two calls: JavaScript runs on.
      if (this.#paused) this.res.resume();
      writeReply(this.res, reply, this.server.closing || this.closeAfter || reply.close === true);
    } catch (error) {
      // Only a malformed reply (a contract bug) gets here; a throw out of a uWS callback
      // would end the process, so the connection goes instead.
      this.server.contract.fail(error, { route: 'adapter-uws' });
      this.res.close();
    }
    this.server.settle();
  }
}
