import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createServerMetrics } from '../src/index.js';

describe('createServerMetrics({ registry })', () => {
  it("puts the server's metrics on your registry at once, counted as they happen", async () => {
    const registry = new Registry();
    const metrics = createServerMetrics({ registry, processMetrics: false });
    expect((await registry.getMetricsAsJSON()).map(({ name }) => name).sort()).toEqual([
      'onemrc_events_accepted_total',
      'onemrc_events_refused_total',
      'onemrc_http_open_connections',
      'onemrc_http_request_duration_seconds',
      'onemrc_http_requests_total',
      'onemrc_store_errors_total',
    ]);
    metrics.route('/event').answered(200, 0.0003);
    metrics.accepted(1);
    metrics.refused('INVALID_JSON');
    const text = await registry.metrics();
    expect(text).toContain('onemrc_http_requests_total{route="/event",status="200"} 1\n');
    expect(text).toContain('onemrc_http_request_duration_seconds_bucket{le="0.0005",route="/event"} 1\n');
    expect(text).toContain('onemrc_http_request_duration_seconds_bucket{le="0.00025",route="/event"} 0\n');
    expect(text).toContain('onemrc_events_accepted_total 1\n');
    expect(text).toContain('onemrc_events_refused_total{code="INVALID_JSON"} 1\n');
    expect(await metrics.registry()).toBe(registry);
    expect(await metrics.exposition()).toBe(await registry.metrics());
  });

  it('without one: a registry of its own, with the default process metrics', async () => {
    const metrics = createServerMetrics();
    const registry = await metrics.registry();
    expect(registry).toBeInstanceOf(Registry);
    expect(await metrics.registry()).toBe(registry);
    const names = (await registry.getMetricsAsJSON()).map(({ name }) => name);
    expect(names).toContain('onemrc_events_accepted_total');
    expect(names).toContain('process_resident_memory_bytes');
    expect(metrics.contentType).toBe(registry.contentType);
  });

  it("by default, the process's memory and CPU read at scrape time, and no collector between scrapes", async () => {
    const registry = await createServerMetrics().registry();
    const json = await registry.getMetricsAsJSON();
    const value = (name: string): number => {
      const metric = json.find((m) => m.name === name);
      expect(metric, name).toBeDefined();
      return (metric?.values[0]?.value as number | undefined) ?? Number.NaN;
    };
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect(value('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(value('nodejs_heap_size_total_bytes')).toBeGreaterThanOrEqual(
      value('nodejs_heap_size_used_bytes'),
    );
    expect(value('nodejs_external_memory_bytes')).toBeGreaterThan(0);
    expect(value('process_cpu_seconds_total')).toBeGreaterThan(0);
    // The GC observer and the event-loop-delay sampler are prom-client's default metrics only.
    const names = json.map(({ name }) => name);
    expect(
      names.filter((name) => name.startsWith('nodejs_gc') || name.startsWith('nodejs_eventloop')),
    ).toEqual([]);
  });

  it("processMetrics: 'full' adds prom-client's default metrics, GC durations and event-loop lag among them", async () => {
    const registry = await createServerMetrics({ processMetrics: 'full' }).registry();
    const names = (await registry.getMetricsAsJSON()).map(({ name }) => name);
    expect(names).toEqual(
      expect.arrayContaining([
        'process_resident_memory_bytes',
        'process_cpu_seconds_total',
        'nodejs_gc_duration_seconds',
        'nodejs_eventloop_lag_p99_seconds',
      ]),
    );
    expect(new Set(names).size).toBe(names.length);
  });
});
