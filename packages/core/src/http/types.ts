import type { EventStore } from '../types.js';

/** Where a failure happened, for `onError`. */
export interface ErrorContext {
  /** Method and path, `POST /event`; or what failed outside a route (`adapter`). */
  readonly route: string;
}

export interface ContractOptions {
  /** Where accepted events go; `createStats()` or any `EventStore`. */
  readonly store: EventStore;
  /** Largest `POST /event` (and `POST /reset`) body, in bytes. Default 4 KiB. */
  readonly maxEventBytes?: number;
  /** Largest `POST /events` body, in bytes. Default 1 MiB. */
  readonly maxBatchBytes?: number;
  /** Most events in one `POST /events`. Default 10,000. */
  readonly maxBatchEvents?: number;
  /** Longest `userId`, in UTF-8 bytes. Default 256. */
  readonly maxUserIdBytes?: number;
  /** Enables `POST /reset` for `Authorization: Bearer <token>`. Unset: `/reset` is 404. */
  readonly resetToken?: string;
  /**
   * Called with every failure answered `500` (a store that threw or rejected, a store answer that
   * is not a snapshot, a bug in an adapter). The client learns nothing of it; this is where an
   * operator does. Default: one line on stderr naming the route and the error.
   */
  readonly onError?: (error: unknown, context: ErrorContext) => void;
}

export interface RequestHead {
  /** Upper-case, as sent. */
  readonly method: string;
  /** The request target as sent: origin-form (`/stats?x=1`), absolute-form, or `*`. */
  readonly url: string;
  readonly contentType?: string | undefined;
  /** From `Content-Length`; `NaN` when it is repeated, empty or not one decimal number. */
  readonly contentLength?: number | undefined;
  /** Every `Transfer-Encoding` field line, joined with `, ` (RFC 9110 §5.3). */
  readonly transferEncoding?: string | undefined;
  /** Every `Host` field line, joined with `, `; absent when there is none. */
  readonly host?: string | undefined;
  /**
   * The HTTP/1 minor version. Absent when the transport does not say (a test calling `route`):
   * then a missing Host is not refused.
   */
  readonly version?: '1.0' | '1.1' | undefined;
  readonly authorization?: string | undefined;
}

export interface Reply {
  readonly status: number;
  /**
   * Lower-case names; always includes `content-type`. A HEAD answer also has `content-length`,
   * the length its GET answer's body would have (RFC 9110 §9.3.2), and an empty `body`; an
   * adapter sends `body.byteLength` as the length of any other answer.
   */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /**
   * The connection ends after this answer, which says `Connection: close`: what follows on it
   * cannot be read safely (an unread body, a head that could be framed two ways, HTTP/1.0).
   */
  readonly close?: boolean;
}

/**
 * Either the answer, or a request to read the body (at most `limit` bytes) and call `handle`.
 * `handle` is done with `body` when it returns, even when it returns a promise: an adapter may
 * lend it a buffer the transport reuses afterwards (uWebSockets.js does). Neither `reply` nor
 * `handle` ever throws or rejects: failures are answered (`internalError`) and reported (`onError`).
 */
export type Route =
  | { readonly reply: Reply | Promise<Reply>; readonly limit?: undefined }
  | { readonly limit: number; handle(body: Uint8Array): Reply | Promise<Reply> };

export interface Contract {
  route(head: RequestHead): Route;
  /** A body grew past its route's `limit` while it was read. Closes the connection. */
  readonly tooLarge: Reply;
  /**
   * A head the HTTP parser refused, or whose body could be framed two ways or not at all (both
   * `Content-Length` and `Transfer-Encoding`, a coding other than `chunked`): the same answer on
   * every adapter. Closes the connection.
   */
  readonly badRequest: Reply;
  /** A head past the HTTP parser's size limit. Closes the connection. */
  readonly headersTooLarge: Reply;
  /** A request that did not arrive within its timeout. Closes the connection. */
  readonly requestTimeout: Reply;
  /** A chunked body on a transport that cannot read one safely (uWebSockets.js). Closes the connection. */
  readonly lengthRequired: Reply;
  /** The answer when anything failed; says nothing of the cause. */
  readonly internalError: Reply;
  /** Reports `error` through `onError` and returns `internalError`: for an adapter's own failures. */
  fail(error: unknown, context: ErrorContext): Reply;
}
