/**
 * The HTTP contract, defined once and transport-neutral: an adapter hands over the request
 * head, reads at most `limit` body bytes when asked, and writes the `Reply` it gets back.
 * Everything a client can observe (routes, statuses, headers, bodies) is decided here.
 * See docs/http-api.md.
 */
import { type ErrorCode, type EventError, HTTP_STATUS } from './errors.js';
import { DEFAULT_LIMITS, parseBatch, parseEvent, positiveInteger } from './parse-event.js';
import type { EventStore, Snapshot } from './types.js';

export interface ContractOptions {
  /** Where accepted events go; `createStats()` or any `EventStore`. */
  readonly store: EventStore;
  /** Largest `POST /event` body, in bytes. Default 4 KiB. */
  readonly maxEventBytes?: number;
  /** Largest `POST /events` body, in bytes. Default 1 MiB. */
  readonly maxBatchBytes?: number;
  /** Most events in one `POST /events`. Default 10,000. */
  readonly maxBatchEvents?: number;
  /** Longest `userId`, in UTF-8 bytes. Default 256. */
  readonly maxUserIdBytes?: number;
  /** Enables `POST /reset` for `Authorization: Bearer <token>`. Unset: `/reset` is 404. */
  readonly resetToken?: string;
}

export interface RequestHead {
  readonly method: string;
  /** The request target; a query string is ignored. */
  readonly url: string;
  readonly contentType?: string | undefined;
  /** From `Content-Length`, when the request has one. */
  readonly contentLength?: number | undefined;
  readonly authorization?: string | undefined;
}

export interface Reply {
  readonly status: number;
  /** Lower-case names; always includes `content-type`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/**
 * Either the answer, or a request to read the body (at most `limit` bytes) and call `handle`.
 * `handle` is done with `body` when it returns, even when it returns a promise: an adapter may
 * lend it a buffer the transport reuses afterwards (uWebSockets.js does).
 */
export type Route =
  | { readonly reply: Reply | Promise<Reply>; readonly limit?: undefined }
  | { readonly limit: number; handle(body: Uint8Array): Reply | Promise<Reply> };

export interface Contract {
  route(head: RequestHead): Route;
  /** The answer when a body grows past its route's `limit` while it is read. */
  readonly tooLarge: Reply;
  /** The answer when anything throws; says nothing of the cause. */
  readonly internalError: Reply;
}

export const DEFAULT_HTTP_LIMITS = {
  maxEventBytes: 4 * 1024,
  maxBatchBytes: 1024 * 1024,
} as const;

const encoder = new TextEncoder();
const JSON_HEADERS = { 'content-type': 'application/json' } as const;

function json(status: number, body: unknown, headers: Record<string, string> = JSON_HEADERS): Reply {
  return { status, headers, body: encoder.encode(JSON.stringify(body)) };
}

export function errorReply(error: EventError, headers?: Record<string, string>): Reply {
  const body = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.index === undefined ? {} : { index: error.index }),
    },
  };
  return json(HTTP_STATUS[error.code], body, headers);
}

const fail = (code: ErrorCode, message: string): Reply => errorReply({ code, message });

/** The exact bytes of a `/stats` answer; every adapter serves these for the same snapshot. */
export function statsReply(snapshot: Snapshot): Reply {
  const { totalRequests, uniqueUsers, sum, avg } = snapshot;
  return json(200, { totalRequests, uniqueUsers, sum, avg });
}

/** A store that answers something other than a snapshot gets a 500, never a `200 {}`. */
function checkedStatsReply(snapshot: unknown): Reply {
  if (typeof snapshot !== 'object' || snapshot === null) return INTERNAL;
  const { totalRequests, uniqueUsers, sum, avg } = snapshot as Record<keyof Snapshot, unknown>;
  const fields = [totalRequests, uniqueUsers, sum, avg];
  return fields.every(Number.isFinite) ? statsReply(snapshot as Snapshot) : INTERNAL;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

const OK = json(200, { status: 'ok' });
const NOT_FOUND = fail('NOT_FOUND', 'no such route');
const UNAUTHORIZED = errorReply(
  { code: 'UNAUTHORIZED', message: 'POST /reset needs Authorization: Bearer <token>' },
  { ...JSON_HEADERS, 'www-authenticate': 'Bearer' },
);

type Media = 'json' | 'ndjson' | 'unsupported';

function mediaType(contentType: string | undefined): Media {
  // A missing Content-Type is accepted: minimal challenge clients omit it.
  if (contentType === undefined || contentType === '' || contentType === 'application/json') return 'json';
  const semicolon = contentType.indexOf(';');
  const type = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  if (type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json')))
    return 'json';
  if (type === 'application/x-ndjson') return 'ndjson';
  return 'unsupported';
}

/** Compares without an early exit, so the time taken says nothing of where a guess went wrong. */
function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < x.length; i++) diff |= (x[i] as number) ^ (y[i % y.length] ?? 0);
  return diff === 0;
}

const INTERNAL = fail('INTERNAL', 'internal error');

/**
 * A store's failure as the client sees it: `UNAVAILABLE` (a shared store that could not confirm
 * the write or read) is 503 with `Retry-After`, so the client may send it again; anything else
 * is a 500 that says nothing of the cause.
 */
function storeFailure(error: unknown): Reply {
  const { code, retryAfterSeconds } = (error ?? {}) as { code?: unknown; retryAfterSeconds?: unknown };
  if (code !== 'UNAVAILABLE') return INTERNAL;
  const seconds =
    Number.isSafeInteger(retryAfterSeconds) && (retryAfterSeconds as number) >= 0 ? retryAfterSeconds : 1;
  return errorReply(
    {
      code: 'UNAVAILABLE',
      message: 'the store could not confirm this request: it is not acknowledged; retry later',
    },
    { ...JSON_HEADERS, 'retry-after': String(seconds) },
  );
}

/** `/health`: 200 while the store is up, 503 saying why once it is not. */
function healthReply(health: unknown): Reply {
  const { ok, reason } = (health ?? {}) as { ok?: unknown; reason?: unknown };
  if (ok === true) return OK;
  const why = typeof reason === 'string' ? reason : health instanceof Error ? health.message : 'unknown';
  return json(503, { status: 'unavailable', store: 'down', reason: why });
}
const TOO_LARGE = fail('PAYLOAD_TOO_LARGE', 'request body is too large');

/** Every path `route` answers for; any other is 404. A router-based adapter registers these. */
export const CONTRACT_PATHS = ['/event', '/events', '/stats', '/health', '/reset'] as const;

export function createContract(options: ContractOptions): Contract {
  const { store, resetToken } = options;
  const maxEventBytes = positiveInteger(
    'maxEventBytes',
    options.maxEventBytes,
    DEFAULT_HTTP_LIMITS.maxEventBytes,
  );
  const maxBatchBytes = positiveInteger(
    'maxBatchBytes',
    options.maxBatchBytes,
    DEFAULT_HTTP_LIMITS.maxBatchBytes,
  );
  const maxEvents = positiveInteger('maxBatchEvents', options.maxBatchEvents, DEFAULT_LIMITS.maxBatchEvents);
  const maxUserIdBytes = positiveInteger(
    'maxUserIdBytes',
    options.maxUserIdBytes,
    DEFAULT_LIMITS.maxUserIdBytes,
  );
  if (resetToken !== undefined && resetToken.length === 0) {
    throw new TypeError('Expected resetToken to be a non-empty string, got an empty string');
  }
  const parseOptions = { maxUserIdBytes };

  const allowed = (allow: string): Reply =>
    errorReply({ code: 'METHOD_NOT_ALLOWED', message: `use ${allow}` }, { ...JSON_HEADERS, allow });
  const ONLY_GET = allowed('GET');
  const ONLY_POST = allowed('POST');

  /**
   * Answers `reply` once `pending` (the store's answer) settles; a store that is unavailable
   * gets 503 with `Retry-After`, any other rejection a bare 500.
   */
  const settle = (pending: void | Promise<void>, reply: Reply): Reply | Promise<Reply> =>
    pending === undefined ? reply : pending.then(() => reply, storeFailure);

  // Routes are built once: the hot path (`POST /event` with JSON) allocates no closure per request.
  const recordEvent = (body: Uint8Array): Reply | Promise<Reply> => {
    const parsed = parseEvent(body, parseOptions);
    if (!parsed.ok) return errorReply(parsed.error);
    try {
      return settle(store.record(parsed.value.userId, parsed.value.value), OK);
    } catch (error) {
      return storeFailure(error);
    }
  };

  const recordBatch = (format: 'json' | 'ndjson') => {
    const batchOptions = { ...parseOptions, maxEvents, format };
    return (body: Uint8Array): Reply | Promise<Reply> => {
      const parsed = parseBatch(body, batchOptions);
      if (!parsed.ok) return errorReply(parsed.error);
      const events = parsed.value;
      try {
        return settle(store.recordBatch(events), json(200, { accepted: events.length }));
      } catch (error) {
        return storeFailure(error);
      }
    };
  };

  const EVENT: Route = { limit: maxEventBytes, handle: recordEvent };
  const EVENT_NOT_NDJSON: Route = {
    reply: fail('UNSUPPORTED_MEDIA_TYPE', 'POST /event takes one JSON object'),
  };
  const BATCH: Route = { limit: maxBatchBytes, handle: recordBatch('json') };
  const BATCH_NDJSON: Route = { limit: maxBatchBytes, handle: recordBatch('ndjson') };

  const post = (head: RequestHead, jsonRoute: Route, ndjsonRoute: Route): Route => {
    if (head.method !== 'POST') return { reply: ONLY_POST };
    const media = mediaType(head.contentType);
    if (media === 'unsupported') {
      return {
        reply: fail(
          'UNSUPPORTED_MEDIA_TYPE',
          `Content-Type must be application/json, got ${head.contentType}`,
        ),
      };
    }
    const route = media === 'json' ? jsonRoute : ndjsonRoute;
    if (route.limit !== undefined && head.contentLength !== undefined && head.contentLength > route.limit) {
      return { reply: TOO_LARGE };
    }
    return route;
  };

  const stats = (): Reply | Promise<Reply> => {
    try {
      const snapshot: unknown = store.snapshot();
      return isThenable(snapshot)
        ? Promise.resolve(snapshot).then(checkedStatsReply, storeFailure)
        : checkedStatsReply(snapshot);
    } catch (error) {
      return storeFailure(error);
    }
  };

  // `/health` asks the store, if it can say (a shared store can be down); it never throws.
  const health = (): Reply | Promise<Reply> => {
    if (store.health === undefined) return OK;
    try {
      const answer: unknown = store.health();
      return isThenable(answer)
        ? Promise.resolve(answer).then(healthReply, healthReply)
        : healthReply(answer);
    } catch (error) {
      return healthReply(error);
    }
  };

  const reset = (head: RequestHead): Route => {
    if (resetToken === undefined) return { reply: NOT_FOUND };
    if (head.method !== 'POST') return { reply: ONLY_POST };
    const authorized = constantTimeEqual(head.authorization ?? '', `Bearer ${resetToken}`);
    if (!authorized) return { reply: UNAUTHORIZED };
    if (head.contentLength !== undefined && head.contentLength > maxEventBytes) return { reply: TOO_LARGE };
    const handle = (): Reply | Promise<Reply> => {
      try {
        return settle(store.reset(), OK);
      } catch (error) {
        return storeFailure(error);
      }
    };
    return { limit: maxEventBytes, handle };
  };

  return {
    route(head) {
      const query = head.url.indexOf('?');
      const path = query === -1 ? head.url : head.url.slice(0, query);
      switch (path) {
        case '/event':
          return post(head, EVENT, EVENT_NOT_NDJSON);
        case '/events':
          return post(head, BATCH, BATCH_NDJSON);
        case '/stats':
          return head.method === 'GET' ? { reply: stats() } : { reply: ONLY_GET };
        case '/health':
          return head.method === 'GET' ? { reply: health() } : { reply: ONLY_GET };
        case '/reset':
          return reset(head);
        default:
          return { reply: NOT_FOUND };
      }
    },
    tooLarge: TOO_LARGE,
    internalError: INTERNAL,
  };
}
