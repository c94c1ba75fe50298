import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createServerMetrics } from '../src/index.js';

describe('createServerMetrics({ registry })', () => {
  it("puts the server's metrics on your registry at once, counted as they happen", async () => {
    const registry = new Registry();
    const metrics = createServerMetrics({ registry, defaultMetrics: false });
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
});
