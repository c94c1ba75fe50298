/**
 * The contract with metrics: `GET /metrics` answered from the registry, and every reply the
 * contract gives counted by route and status, with its latency: from the start of the event-loop
 * turn that read the request head to the reply, the body's arrival included; a reply given in that
 * same turn is timed to the turn's end (turn-clock.ts). Wraps the contract rather than living in
 * it, so `@1mrc/core` stays free of dependencies and no adapter changes.
 *
 * Not seen here, hence not counted: a request an adapter refuses before asking the contract
 * (ambiguous framing), and a body without Content-Length found too large while it is read.
 */
import {
  type Contract,
  constantTimeEqual,
  errorReply,
  type Reply,
  type RequestHead,
  type Route,
} from '@1mrc/core/http';
import { METRIC_ROUTES, type MetricRoute, type RouteMetrics, type ServerMetrics } from './server-metrics.js';
import { inTurn, turnStart } from './turn-clock.js';

export interface MetricsRouteOptions {
  /** When set, `GET /metrics` needs `Authorization: Bearer <metricsToken>`. */
  readonly metricsToken?: string | undefined;
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;
const ONLY_GET = errorReply(
  { code: 'METHOD_NOT_ALLOWED', message: 'use GET' },
  { ...JSON_HEADERS, allow: 'GET' },
);
const UNAUTHORIZED = errorReply(
  { code: 'UNAUTHORIZED', message: 'GET /metrics needs Authorization: Bearer <token>' },
  { ...JSON_HEADERS, 'www-authenticate': 'Bearer' },
);
const encoder = new TextEncoder();

/** The route a request target is counted under: one of the contract's paths, `/metrics`, or `other`. */
function routeOf(url: string): MetricRoute {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return METRIC_ROUTES.includes(path as (typeof METRIC_ROUTES)[number]) ? (path as MetricRoute) : 'other';
}

/** Error replies are mostly shared constants: each body is read for its code once. */
const codes = new WeakMap<Reply, string>();
function codeOf(reply: Reply): string {
  let code = codes.get(reply);
  if (code === undefined) {
    try {
      const body = JSON.parse(new TextDecoder().decode(reply.body)) as { error?: { code?: unknown } };
      code = typeof body.error?.code === 'string' ? body.error.code : 'UNKNOWN';
    } catch {
      code = 'UNKNOWN';
    }
    codes.set(reply, code);
  }
  return code;
}

/**
 * A body route, counted once its reply is ready. A class, not a closure per request: the hot
 * path then allocates one small object and defines no function.
 */
class CountedBodyRoute {
  constructor(
    readonly limit: number,
    private readonly inner: Extract<Route, { limit: number }>,
    private readonly counter: ReplyCounter,
    private readonly bound: RouteMetrics,
    private readonly start: number,
  ) {}

  handle(body: Uint8Array): Reply | Promise<Reply> {
    return this.counter.counted(this.bound, this.start, this.inner.handle(body));
  }
}

class ReplyCounter {
  constructor(
    private readonly metrics: ServerMetrics,
    private readonly internalError: Reply,
  ) {}

  counted(bound: RouteMetrics, start: number, reply: Reply | Promise<Reply>): Reply | Promise<Reply> {
    if (!(reply instanceof Promise)) {
      this.answered(bound, start, reply);
      return reply;
    }
    return reply.then(
      (ready) => {
        this.answered(bound, start, ready);
        return ready;
      },
      (error: unknown) => {
        this.answered(bound, start, this.internalError);
        throw error;
      },
    );
  }

  answered(bound: RouteMetrics, start: number, reply: Reply): void {
    if (inTurn(start)) bound.answeredThisTurn(reply.status);
    else bound.answered(reply.status, (performance.now() - start) / 1000);
    if (reply.status >= 400 && (bound.route === '/event' || bound.route === '/events')) {
      this.metrics.refused(codeOf(reply));
    }
  }
}

export function observedContract(
  contract: Contract,
  metrics: ServerMetrics,
  options: MetricsRouteOptions = {},
): Contract {
  const expected = options.metricsToken === undefined ? undefined : `Bearer ${options.metricsToken}`;
  if (options.metricsToken === '') {
    throw new TypeError('Expected metricsToken to be a non-empty string, got an empty string');
  }
  const { internalError } = contract;
  const counter = new ReplyCounter(metrics, internalError);

  const exposition = async (): Promise<Reply> => ({
    status: 200,
    headers: { 'content-type': metrics.contentType },
    body: encoder.encode(await metrics.exposition()),
  });

  const metricsRoute = (head: RequestHead): Route => {
    if (head.method !== 'GET') return { reply: ONLY_GET };
    // The same check as the reset token's, in core.
    if (expected !== undefined && !constantTimeEqual(head.authorization ?? '', expected)) {
      return { reply: UNAUTHORIZED };
    }
    return { reply: exposition().catch(() => internalError) };
  };

  return {
    ...contract,
    route(head) {
      const start = turnStart();
      const bound = metrics.route(routeOf(head.url));
      let route: Route;
      try {
        route = bound.route === '/metrics' ? metricsRoute(head) : contract.route(head);
      } catch (error) {
        counter.answered(bound, start, internalError);
        throw error;
      }
      if (route.limit === undefined) {
        const reply = counter.counted(bound, start, route.reply);
        // The same object when nothing changed: adapters may compare replies by identity.
        return reply === route.reply ? route : { reply };
      }
      return new CountedBodyRoute(route.limit, route, counter, bound, start);
    },
  };
}
