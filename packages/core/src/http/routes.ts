/**
 * The HTTP contract, defined once and transport-neutral: an adapter hands over the request
 * head, reads at most `limit` body bytes when asked, and writes the `Reply` it gets back.
 * Everything a client can observe (routes, statuses, headers, bodies, when a connection ends)
 * is decided here. See docs/http-api.md.
 */
import { StatsError } from '../errors.js';
import { DEFAULT_LIMITS, positiveInteger } from '../limits.js';
import { parseBatch, parseEvent } from '../parse-event.js';
import type { Snapshot } from '../types.js';
import { constantTimeEqual } from './constant-time.js';
import { mediaType } from './media-type.js';
import { closing, errorReply, fail, headReply, JSON_HEADERS, json, statsReply } from './replies.js';
import { isContractErrorCode } from './status.js';
import { framingProblem, hostProblem, targetPath } from './target.js';
import type { Contract, ContractOptions, ErrorContext, Reply, RequestHead, Route } from './types.js';

/** Every path `route` answers for; any other is 404. A router-based adapter registers these. */
export const CONTRACT_PATHS = ['/event', '/events', '/stats', '/health', '/reset'] as const;

const OK = json(200, { status: 'ok' });
const NOT_FOUND = fail('NOT_FOUND', 'no such route');
const INTERNAL = fail('INTERNAL', 'internal error');
const TOO_LARGE = closing(fail('PAYLOAD_TOO_LARGE', 'request body is too large'));
const BAD_REQUEST = closing(fail('BAD_REQUEST', 'malformed request head, or a body framed two ways'));
const BAD_HOST = closing(fail('BAD_REQUEST', 'Host must be one host[:port]'));
const BAD_TARGET = closing(fail('BAD_REQUEST', 'the request target must be a path'));
const HEADERS_TOO_LARGE = closing(fail('HEADERS_TOO_LARGE', 'request head is too large'));
const REQUEST_TIMEOUT = closing(fail('REQUEST_TIMEOUT', 'request not received in time'));
const LENGTH_REQUIRED = closing(
  fail('LENGTH_REQUIRED', 'this server reads a body by Content-Length only, not chunked'),
);
const UNAUTHORIZED = errorReply(
  { code: 'UNAUTHORIZED', message: 'POST /reset needs Authorization: Bearer <token>' },
  { ...JSON_HEADERS, 'www-authenticate': 'Bearer' },
);

/**
 * A shared store's failure to confirm (`UNAVAILABLE`, as `StoreUnavailableError` carries it) is
 * 503 with `Retry-After`: the request was not acknowledged, so the client may send it again.
 * Matched by code, not class, so a store built on another copy of core is still understood.
 */
function unavailable(error: unknown): Reply | undefined {
  const { code, retryAfterSeconds } = (error ?? {}) as { code?: unknown; retryAfterSeconds?: unknown };
  if (code !== 'UNAVAILABLE') return undefined;
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

/** How long the default `onError` holds back repeats of a failure it has just written. */
const REPEAT_WINDOW_MS = 10_000;
/** Distinct failures it keeps track of at once; past that the oldest is forgotten. */
const TRACKED_FAILURES = 100;

function describeError(error: unknown): string {
  try {
    return String(error).replaceAll('\n', ' ');
  } catch {
    return Object.prototype.toString.call(error);
  }
}

/**
 * The default `onError`: one line on stderr naming the route and the error, then, for the same
 * failure within 10 s, one line at the end of those 10 s saying how many more there were. An
 * outage of a shared store fails every request alike: without this it would write a line per
 * request, tens of thousands a second. Each contract keeps its own.
 */
function createErrorLog(): (error: unknown, context: ErrorContext) => void {
  const held = new Map<string, { repeats: number; readonly timer: ReturnType<typeof setTimeout> }>();
  const flush = (line: string): void => {
    const entry = held.get(line);
    if (entry === undefined) return;
    held.delete(line);
    // Early when evicted: its own timer must not flush the next entry of the same line.
    clearTimeout(entry.timer);
    if (entry.repeats > 0) {
      const times = entry.repeats === 1 ? 'once' : `${entry.repeats} times`;
      process.stderr.write(`@1mrc: ${line} (again, ${times} more in ${REPEAT_WINDOW_MS / 1000} s)\n`);
    }
  };
  return (error, context) => {
    const line = `${context.route} failed: ${describeError(error)}`;
    const entry = held.get(line);
    if (entry) {
      entry.repeats++;
      return;
    }
    if (held.size >= TRACKED_FAILURES) flush(held.keys().next().value as string);
    // Unref'd: a pending summary never keeps the process alive.
    const timer = setTimeout(() => flush(line), REPEAT_WINDOW_MS);
    timer.unref?.();
    held.set(line, { repeats: 0, timer });
    process.stderr.write(`@1mrc: ${line}\n`);
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * The contract over `options.store`: call `route(head)` for each request and write what it says.
 * Limits are checked here, once: each must be a positive integer, or this throws a `TypeError`
 * quoting the value.
 *
 * @example
 * const contract = createContract({ store: createStats() });
 * const route = contract.route({ method: 'GET', url: '/stats', host: 'localhost' });
 */
export function createContract(options: ContractOptions): Contract {
  const { store, resetToken, onError = createErrorLog() } = options;
  const maxEventBytes = positiveInteger('maxEventBytes', options.maxEventBytes, DEFAULT_LIMITS.maxEventBytes);
  const maxBatchBytes = positiveInteger('maxBatchBytes', options.maxBatchBytes, DEFAULT_LIMITS.maxBatchBytes);
  const maxBatchEvents = positiveInteger(
    'maxBatchEvents',
    options.maxBatchEvents,
    DEFAULT_LIMITS.maxBatchEvents,
  );
  const maxUserIdBytes = positiveInteger(
    'maxUserIdBytes',
    options.maxUserIdBytes,
    DEFAULT_LIMITS.maxUserIdBytes,
  );
  if (resetToken !== undefined && (typeof resetToken !== 'string' || resetToken.length === 0)) {
    throw new TypeError(`Expected resetToken to be a non-empty string, got ${JSON.stringify(resetToken)}`);
  }
  if (typeof onError !== 'function') {
    throw new TypeError(`Expected onError to be a function, got ${String(onError)}`);
  }
  const parseOptions = { maxUserIdBytes };

  /** The answer to a failure: a store's `StatsError` with a known code is its own status; else 500, reported. */
  const failure = (error: unknown, route: string): Reply => {
    if (error instanceof StatsError && isContractErrorCode(error.code) && error.code !== 'UNAVAILABLE') {
      return errorReply(error);
    }
    try {
      onError(error, { route });
    } catch {
      // A failing hook must not turn one failed request into a crashed server.
    }
    return unavailable(error) ?? INTERNAL;
  };

  const allowed = (allow: string): Reply =>
    errorReply({ code: 'METHOD_NOT_ALLOWED', message: `use ${allow}` }, { ...JSON_HEADERS, allow });
  const ONLY_GET = allowed('GET');
  const ONLY_POST = allowed('POST');

  /** Answers `reply` once `pending` (the store's answer) settles; a store that answers anything else is broken. */
  const settle = (pending: void | Promise<void>, reply: Reply, route: string): Reply | Promise<Reply> => {
    if (pending === undefined) return reply;
    if (!isThenable(pending)) {
      return failure(
        new TypeError(`the store answered ${typeof pending}, not undefined or a promise`),
        route,
      );
    }
    return Promise.resolve(pending).then(
      () => reply,
      (error: unknown) => failure(error, route),
    );
  };

  // Routes are built once: the hot path (`POST /event` with JSON) allocates no closure per request.
  const recordEvent = (body: Uint8Array): Reply | Promise<Reply> => {
    const parsed = parseEvent(body, parseOptions);
    if (!parsed.ok) return errorReply(parsed.error);
    try {
      return settle(store.record(parsed.value.userId, parsed.value.value), OK, 'POST /event');
    } catch (error) {
      return failure(error, 'POST /event');
    }
  };

  const recordBatch = (format: 'json' | 'ndjson') => {
    const batchOptions = { ...parseOptions, maxBatchEvents, format };
    return (body: Uint8Array): Reply | Promise<Reply> => {
      const parsed = parseBatch(body, batchOptions);
      if (!parsed.ok) return errorReply(parsed.error);
      const events = parsed.value;
      try {
        return settle(store.recordBatch(events), json(200, { accepted: events.length }), 'POST /events');
      } catch (error) {
        return failure(error, 'POST /events');
      }
    };
  };

  const EVENT: Route = { limit: maxEventBytes, handle: recordEvent };
  const EVENT_NOT_NDJSON: Route = {
    reply: fail('UNSUPPORTED_MEDIA_TYPE', 'POST /event takes one JSON object'),
  };
  const BATCH: Route = { limit: maxBatchBytes, handle: recordBatch('json') };
  const BATCH_NDJSON: Route = { limit: maxBatchBytes, handle: recordBatch('ndjson') };
  const TOO_LARGE_ROUTE: Route = { reply: TOO_LARGE };

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
      return TOO_LARGE_ROUTE;
    }
    return route;
  };

  /** A store that answers something other than a snapshot gets a 500, never a `200 {}`. */
  const checkedStatsReply = (snapshot: unknown): Reply => {
    if (typeof snapshot !== 'object' || snapshot === null) {
      return failure(new TypeError('snapshot() answered something that is not a snapshot'), 'GET /stats');
    }
    const { totalRequests, uniqueUsers, sum, avg } = snapshot as Record<keyof Snapshot, unknown>;
    return [totalRequests, uniqueUsers, sum, avg].every(Number.isFinite)
      ? statsReply(snapshot as Snapshot)
      : failure(new TypeError('snapshot() answered a field that is not a finite number'), 'GET /stats');
  };

  const stats = (): Reply | Promise<Reply> => {
    try {
      const snapshot: unknown = store.snapshot();
      return isThenable(snapshot)
        ? Promise.resolve(snapshot).then(checkedStatsReply, (error: unknown) => failure(error, 'GET /stats'))
        : checkedStatsReply(snapshot);
    } catch (error) {
      return failure(error, 'GET /stats');
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

  const resetHandle = (): Reply | Promise<Reply> => {
    try {
      return settle(store.reset(), OK, 'POST /reset');
    } catch (error) {
      return failure(error, 'POST /reset');
    }
  };
  const RESET: Route = { limit: maxEventBytes, handle: resetHandle };

  const reset = (head: RequestHead): Route => {
    if (resetToken === undefined) return { reply: NOT_FOUND };
    if (head.method !== 'POST') return { reply: ONLY_POST };
    const authorized = constantTimeEqual(head.authorization ?? '', `Bearer ${resetToken}`);
    if (!authorized) return { reply: UNAUTHORIZED };
    if (head.contentLength !== undefined && head.contentLength > maxEventBytes) return TOO_LARGE_ROUTE;
    return RESET;
  };

  const routeByPath = (head: RequestHead, path: string): Route => {
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
  };

  return {
    route(head) {
      if (framingProblem(head)) return { reply: BAD_REQUEST };
      if (hostProblem(head)) return { reply: BAD_HOST };
      const path = targetPath(head.url, head.method);
      if (path === undefined) return { reply: BAD_TARGET };
      const route = routeByPath(head, path);
      // HEAD reaches no store: every route here answers it without a body (a 405, or a 404).
      if (head.method === 'HEAD' && route.limit === undefined && !isThenable(route.reply)) {
        return { reply: headReply(route.reply) };
      }
      // HTTP/1.0 has no chunked bodies and keeps no connection open unless asked; this server
      // answers it and closes, rather than guess what a 1.0 client does with keep-alive.
      return head.version === '1.0' ? closeAfter(route) : route;
    },
    tooLarge: TOO_LARGE,
    badRequest: BAD_REQUEST,
    headersTooLarge: HEADERS_TOO_LARGE,
    requestTimeout: REQUEST_TIMEOUT,
    lengthRequired: LENGTH_REQUIRED,
    internalError: INTERNAL,
    fail: (error, context) => failure(error, context.route),
  };
}

const closedReplies = new WeakMap<Reply, Reply>();

function closed(reply: Reply): Reply {
  if (reply.close) return reply;
  let result = closedReplies.get(reply);
  if (result === undefined) {
    result = closing(reply);
    closedReplies.set(reply, result);
  }
  return result;
}

const closedLater = (reply: Reply | Promise<Reply>): Reply | Promise<Reply> =>
  isThenable(reply) ? Promise.resolve(reply).then(closed) : closed(reply);

/** `route`, with every answer ending its connection. */
function closeAfter(route: Route): Route {
  if (route.limit === undefined) return { reply: closedLater(route.reply) };
  const { limit, handle } = route;
  return { limit, handle: (body) => closedLater(handle(body)) };
}
