/**
 * What the hostile-traffic tests hold a server to: their timeouts, the longest a stalled
 * connection may live, the statuses an answer may have, and what an answer must never show.
 * See docs/reliability.md for what the tests try and the figures they print.
 */
import type { ServeOptions } from '@1mrc/server';
import type { AdapterName } from '@1mrc/testkit';

/**
 * Short enough for a test, long enough for a loaded machine. node:http and fastify take them;
 * uWS ignores them (see `UWS_TIMEOUT_MS`).
 */
export const TEST_TIMEOUTS = {
  headersTimeout: 2_000,
  requestTimeout: 3_000,
  keepAliveTimeout: 5_000,
} as const satisfies ServeOptions;

/**
 * uWS's one timeout, compiled in (`HTTP_IDLE_TIMEOUT_S`, 10 s) and checked on 4 s ticks: a
 * request that is not complete, or a connection that stays silent, is cut off 8 to 12 s after
 * its last answer (or its opening).
 */
export const UWS_TIMEOUT_MS = 10_000;

/** The longest a stalled connection may live on `adapter` started with `TEST_TIMEOUTS`. */
export function cutOffLimitMs(adapter: AdapterName): number {
  // uWS: 10 s plus a 4 s tick; node:http: the request timeout plus its 1 s check; then slack.
  return adapter === 'uws' ? UWS_TIMEOUT_MS + 4_000 + 3_000 : TEST_TIMEOUTS.requestTimeout + 1_000 + 3_000;
}

/** Every status the contract answers with (docs/http-api.md). */
export const CONTRACT_STATUSES: ReadonlySet<number> = new Set([
  200, 400, 401, 404, 405, 408, 411, 413, 415, 431, 500, 503, 507,
]);
/**
 * What a server answers for a head it refuses before reading a body: 400, 431 for headers too
 * large (node:http), 411 for any chunked body (uWS, which cannot read one safely). Anything else
 * means a request got somewhere it should not.
 */
export const HEAD_REFUSALS: ReadonlySet<number> = new Set([400, 411, 431]);

/** What would betray the server's insides: a stack frame, a source path, an internal module. */
export const LEAK = /\n\s+at |file:\/\/|\/work\/|\/home\/|node:internal|node_modules|\.[cm]?[jt]s:\d+/;

export const MiB = 1024 * 1024;
