/**
 * The metrics one server keeps, on a prom-client registry, named after Prometheus's conventions
 * (https://prometheus.io/docs/practices/naming/): a `onemrc_` prefix, snake_case, base units in
 * the name (`_seconds`), `_total` on counters. `/metrics` serves them in the text format.
 *
 * The hot path only adds to plain numbers; prom-client reads them when /metrics is scraped
 * (each metric's `get()`), and renders, aggregates over workers and adds its default metrics.
 * Calling prom-client's `inc`/`observe` per request instead hashes a label set and allocates
 * each time: several hundred nanoseconds on a request uWS answers in a few microseconds.
 *
 * prom-client itself is loaded at the first scrape (or the first `registry()`), not with the
 * server: it is about 14 MB of RSS, a fifth of a uWS server's, for a route that may never be
 * read. The process's memory and CPU are read at scrape time; prom-client's default metrics
 * (GC durations, event-loop lag, which run between scrapes) only with `processMetrics: 'full'`.
 */
import type { Metric, Registry } from 'prom-client';
import { establishedConnections } from './connections.js';
import { LatencyHistogram } from './latency-histogram.js';
import { type MetricValue, plainMetric } from './plain-metric.js';
import { lazyRegistry, type ProcessMetrics } from './process-metrics.js';
import { atTurnEnd } from './turn-clock.js';

/** The routes a request is counted under; any other path is `other`, so labels stay few. */
export const METRIC_ROUTES = ['/event', '/events', '/stats', '/health', '/reset', '/metrics'] as const;
export type MetricRoute = (typeof METRIC_ROUTES)[number] | 'other';
/** Every value of the `route` label; a route's bound metrics sit at its index here. */
const ALL_ROUTES: readonly MetricRoute[] = [...METRIC_ROUTES, 'other'];

/** A store call that failed for a reason other than refusing the event. */
export type StoreOperation = 'record' | 'recordBatch' | 'snapshot' | 'reset';

/**
 * From 100 µs (an event answered from memory) to 2.5 s (a shared store that struggles): the
 * in-memory server answers in well under a millisecond, a Redis-backed one in a few.
 */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5];

/** Bound to one route's label: what the hot path touches, looked up once per request. */
export interface RouteMetrics {
  readonly route: MetricRoute;
  /** Counts one answer with `status`, and its latency. */
  answered(status: number, seconds: number): void;
  /**
   * Counts one answer with `status` given in the event-loop turn that read its head: its latency
   * is that turn's length, observed once the turn ends (turn-clock.ts), for every such answer.
   */
  answeredThisTurn(status: number): void;
}

export interface ServerMetrics {
  /**
   * The prom-client registry behind `/metrics`, loading prom-client on first call; your own
   * metrics may be registered on it (or pass your registry to `createServerMetrics`).
   */
  registry(): Promise<Registry>;
  /** What `GET /metrics` answers: this server's exposition, or on workers the sum over all. */
  exposition(): Promise<string>;
  /** The `Content-Type` of `exposition()`. */
  readonly contentType: string;
  /** @internal The bound metrics of `route`. */
  route(route: MetricRoute): RouteMetrics;
  /** @internal `count` events were recorded (and will be answered 200). */
  accepted(count: number): void;
  /** @internal An event (or a batch) was refused with this contract error code. */
  refused(code: string): void;
  /** @internal A store call threw or rejected. */
  storeError(operation: StoreOperation): void;
  /** @internal The port the server listens on, for the open-connections gauge. */
  listening(port: number): void;
}

export interface ServerMetricsOptions {
  /**
   * This process's metrics (process-metrics.ts): `'basic'` (memory and CPU, read at scrape time;
   * the default), `'full'` (prom-client's default metrics, with GC durations and event-loop lag,
   * which cost throughput between scrapes), or `false` (a worker thread: its process is the
   * primary's, counted once there).
   */
  readonly processMetrics?: ProcessMetrics;
  /** Replaces `exposition()`: a worker asks the primary for the sum over every worker. */
  readonly exposition?: () => Promise<string>;
  /** A prom-client registry of yours to put the server's metrics on, at once. Default: a new one. */
  readonly registry?: Registry;
}

/** prom-client's default content type, `Registry.PROMETHEUS_CONTENT_TYPE`. */
const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** A metric's values from plain counts kept by label. */
const labelled = <L extends string>(label: L, counts: ReadonlyMap<string, number>): MetricValue[] =>
  [...counts].map(([labelValue, value]) => ({ labels: { [label]: labelValue }, value }));

/** Every metric of a 1mrc server, on a registry made (with prom-client) when first read. */
export function createServerMetrics(options: ServerMetricsOptions = {}): ServerMetrics {
  /** By index in ALL_ROUTES, each bound at its first request (a route never asked for has no series). */
  const routes: Array<BoundRoute | undefined> = [];
  let acceptedEvents = 0;
  const refusedByCode = new Map<string, number>();
  const storeErrorsByOperation = new Map<StoreOperation, number>();
  let port: number | undefined;

  const latency = new LatencyHistogram({
    name: 'onemrc_http_request_duration_seconds',
    help: 'Seconds from the event-loop turn that read a request head to its reply (the body included), by route.',
    label: 'route',
    buckets: LATENCY_BUCKETS,
  });
  const metrics: Metric[] = [
    plainMetric({
      name: 'onemrc_http_requests_total',
      help: 'HTTP requests answered, by route and status.',
      type: 'counter',
      values: () => [...statusCounts(routes)],
    }),
    latency.metric,
    plainMetric({
      name: 'onemrc_events_accepted_total',
      help: 'Events recorded and acknowledged (POST /event counts 1, POST /events its batch size).',
      type: 'counter',
      values: () => [{ labels: {}, value: acceptedEvents }],
    }),
    plainMetric({
      name: 'onemrc_events_refused_total',
      help: 'POST /event and POST /events requests refused, by contract error code.',
      type: 'counter',
      values: () => labelled('code', refusedByCode),
    }),
    plainMetric({
      name: 'onemrc_store_errors_total',
      help: 'Store calls that threw or rejected (not refusals of an event), by operation.',
      type: 'counter',
      values: () => labelled('operation', storeErrorsByOperation),
    }),
    plainMetric({
      name: 'onemrc_http_open_connections',
      help: 'TCP connections established to the listening port (Linux: read from /proc/net/tcp{,6}).',
      type: 'gauge',
      // Every worker sees every connection of the shared port: the sum over workers is the max.
      aggregator: 'max',
      values: async () => {
        const count = port === undefined ? undefined : await establishedConnections(port);
        return count === undefined ? [] : [{ labels: {}, value: count }];
      },
    }),
  ];
  const register = (registry: Registry): Registry => {
    for (const metric of metrics) registry.registerMetric(metric);
    return registry;
  };
  const given = options.registry && register(options.registry);
  const registry = lazyRegistry(
    options.processMetrics ?? 'basic',
    (Registry) => given ?? register(new Registry()),
  );

  const route = (name: MetricRoute): RouteMetrics => {
    const index = ALL_ROUTES.indexOf(name);
    let bound = routes[index];
    if (bound === undefined) {
      const statuses = new Float64Array(600);
      const observe = latency.series(name);
      let thisTurn = 0;
      const turnEnded = (seconds: number): void => {
        observe(seconds, thisTurn);
        thisTurn = 0;
      };
      bound = {
        route: name,
        statuses,
        answered(status, seconds) {
          // Statuses are 100-599 (RFC 9110 §15); anything else would be a contract bug.
          statuses[status] = (statuses[status] ?? 0) + 1;
          observe(seconds, 1);
        },
        answeredThisTurn(status) {
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (thisTurn++ === 0) atTurnEnd(turnEnded);
        },
      };
      routes[index] = bound;
    }
    return bound;
  };

  return {
    registry,
    contentType: options.registry?.contentType ?? PROMETHEUS_TEXT,
    exposition: options.exposition ?? (async () => (await registry()).metrics()),
    route,
    accepted(count) {
      acceptedEvents += count;
    },
    refused(code) {
      refusedByCode.set(code, (refusedByCode.get(code) ?? 0) + 1);
    },
    storeError(operation) {
      storeErrorsByOperation.set(operation, (storeErrorsByOperation.get(operation) ?? 0) + 1);
    },
    listening(listeningPort) {
      port = listeningPort;
    },
  };
}

interface BoundRoute extends RouteMetrics {
  /** Answers so far, indexed by status. */
  readonly statuses: Float64Array;
}

function* statusCounts(routes: ReadonlyArray<BoundRoute | undefined>): Generator<MetricValue> {
  for (const bound of routes) {
    if (bound === undefined) continue;
    const { route, statuses } = bound;
    for (let status = 0; status < statuses.length; status++) {
      const value = statuses[status] ?? 0;
      if (value > 0) yield { labels: { route, status: String(status) }, value };
    }
  }
}
