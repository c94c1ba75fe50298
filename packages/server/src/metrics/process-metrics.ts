import type { Metric, Registry } from 'prom-client';
import { plainMetric } from './plain-metric.js';

/**
 * What a server reports of its own process: `'basic'` (memory and CPU time, read when /metrics is
 * scraped and costing nothing between scrapes); `'full'`, prom-client's default metrics, which
 * besides these observe every garbage collection and sample the event loop's delay every 10 ms,
 * for `nodejs_gc_duration_seconds` and `nodejs_eventloop_lag_*` (their cost on uWS is in
 * docs/benchmarks.md, "Metrics"); or `false`, none (a worker thread: its process is the primary's).
 */
export type ProcessMetrics = 'basic' | 'full' | false;

const gauge = (name: string, help: string, read: () => number): Metric =>
  plainMetric({ name, help, type: 'gauge', values: () => [{ labels: {}, value: read() }] });

/** The `'basic'` set, under the names prom-client's default metrics give the same numbers. */
export function basicProcessMetrics(): Metric[] {
  return [
    gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', () => process.memoryUsage.rss()),
    gauge('nodejs_heap_size_total_bytes', 'V8 heap size in bytes.', () => process.memoryUsage().heapTotal),
    gauge('nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes.', () => process.memoryUsage().heapUsed),
    gauge(
      'nodejs_external_memory_bytes',
      'Memory of C++ objects bound to JavaScript (buffers among them), in bytes.',
      () => process.memoryUsage().external,
    ),
    plainMetric({
      name: 'process_cpu_seconds_total',
      help: 'User and system CPU time of the process, in seconds.',
      type: 'counter',
      values: () => {
        const { user, system } = process.cpuUsage();
        return [{ labels: {}, value: (user + system) / 1e6 }];
      },
    }),
  ];
}

/**
 * A registry made on first call, by `make` (given prom-client's `Registry` class), with the
 * process metrics `processMetrics` names (process-metrics.ts): prom-client is loaded then, not
 * before. Every later call answers the same registry.
 */
export function lazyRegistry(
  processMetrics: ProcessMetrics,
  make: (RegistryClass: typeof Registry) => Registry,
): () => Promise<Registry> {
  let loaded: Promise<Registry> | undefined;
  return () =>
    (loaded ??= import('prom-client').then(({ collectDefaultMetrics, Registry }) => {
      const registry = make(Registry);
      if (processMetrics === 'full') collectDefaultMetrics({ register: registry });
      if (processMetrics === 'basic')
        for (const metric of basicProcessMetrics()) registry.registerMetric(metric);
      return registry;
    }));
}
