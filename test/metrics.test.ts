/**
 * `GET /metrics` on every adapter, on one process and on 2 workers: real traffic over real
 * sockets, then the exposition parsed by a Prometheus text-format parser (a port of the
 * reference Python client's), checked for Prometheus's naming conventions and for counts that
 * match exactly the traffic sent. On workers the numbers are the sum over every worker.
 */
import { readFileSync } from 'node:fs';
import { createStats } from '@1mrc/core';
import { createServerMetrics, type RunningServer, type Serve, type ServeOptions } from '@1mrc/server';
import { RawConnection, ADAPTERS as SERVE, sendRequest, startChild, testAdapters } from '@1mrc/testkit';
import parsePrometheusTextFormat, { type Family, type Sample } from 'parse-prometheus-text-format';
import { afterAll, describe, expect, it } from 'vitest';

const ADAPTERS: readonly { name: string; serve: Serve }[] = testAdapters.map((name) => ({
  name,
  serve: SERVE[name],
}));

const servers: RunningServer[] = [];
const open: RawConnection[] = [];
afterAll(async () => {
  for (const connection of open) connection.destroy();
  await Promise.allSettled(servers.map((server) => server.close()));
});

async function start(serve: Serve, options: ServeOptions): Promise<RunningServer> {
  const server = await serve({ port: 0, ...options });
  servers.push(server);
  return server;
}

async function connections(url: string, count: number): Promise<RawConnection[]> {
  const made = await Promise.all(Array.from({ length: count }, () => RawConnection.open(url)));
  open.push(...made);
  return made;
}

const event = (i: number): string => JSON.stringify({ userId: `user_${i % 5}`, value: i / 10 });

/** What each connection sends, and what /metrics must then say of it. */
const TRAFFIC: readonly { method: string; path: string; body?: string; headers?: Record<string, string> }[] =
  [
    { method: 'POST', path: '/event', body: event(1) },
    { method: 'POST', path: '/event', body: event(2) },
    { method: 'POST', path: '/events', body: `[${event(3)},${event(4)},${event(5)}]` },
    { method: 'POST', path: '/event', body: '{"userId":' },
    { method: 'POST', path: '/event', body: event(6), headers: { 'content-type': 'text/plain' } },
    { method: 'GET', path: '/event' },
    { method: 'GET', path: '/stats' },
    { method: 'GET', path: '/nowhere' },
  ];
/** Per connection: 2 events and a batch of 3. */
const ACCEPTED_PER_CONNECTION = 5;

async function send(pool: readonly RawConnection[]): Promise<void> {
  await Promise.all(
    pool.map(async (connection) => {
      for (const { method, path, body, headers } of TRAFFIC) {
        await sendRequest(connection, method, path, body, headers);
      }
    }),
  );
}

function families(text: string): Map<string, Family> {
  return new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
}

function value(family: Family | undefined, labels: Record<string, string> = {}): number | undefined {
  const sample = family?.metrics.find((s: Sample) =>
    Object.entries(labels).every(([name, v]) => s.labels?.[name] === v),
  );
  return sample?.value === undefined ? undefined : Number(sample.value);
}

/**
 * One series of a labelled histogram. The parser folds every series of a histogram family into
 * one (its `flattenMetrics` keys buckets by `le` alone), so it is given that series only, with
 * its label taken off.
 */
function histogram(text: string, name: string, label: string, labelValue: string): Sample | undefined {
  const own = `${label}="${labelValue}"`;
  const lines = text
    .split('\n')
    .filter(
      (line) =>
        line.startsWith(`# HELP ${name} `) ||
        line.startsWith(`# TYPE ${name} `) ||
        (line.startsWith(name) && line.includes(own)),
    )
    .map((line) => line.replace(`,${own}`, '').replace(`${own},`, '').replace(`{${own}}`, ''));
  const [family] = parsePrometheusTextFormat(`${lines.join('\n')}\n`);
  expect(family?.metrics).toHaveLength(1);
  return family?.metrics[0];
}

/** https://prometheus.io/docs/practices/naming/ and the text format's own rules. */
function expectConventions(all: Map<string, Family>): void {
  for (const [name, family] of all) {
    expect(name, 'snake_case').toMatch(/^[a-z_][a-z0-9_]*$/);
    expect(family.help, `${name} has HELP`).not.toBe('');
    expect(['COUNTER', 'GAUGE', 'HISTOGRAM', 'SUMMARY'], `${name} has TYPE`).toContain(family.type);
    if (family.type === 'COUNTER') expect(name, 'a counter ends in _total').toMatch(/_total$/);
    // prom-client's own gauge `nodejs_active_resources_total` breaks this one; ours keep it.
    else if (name.startsWith('onemrc_')) expect(name, 'only counters end in _total').not.toMatch(/_total$/);
    // Base units: seconds, not milliseconds; bytes, not kilobytes.
    expect(name).not.toMatch(/_(milli|micro|nano)?seconds?_ms|_ms$|_kb$|_mb$|_kilobytes|_megabytes/);
  }
  for (const name of ['onemrc_http_request_duration_seconds', 'process_resident_memory_bytes']) {
    expect(all.has(name), `${name} is exposed`).toBe(true);
  }
}

function expectTrafficCounted(text: string, connectionCount: number): void {
  const all = families(text);
  const n = connectionCount;
  expect(value(all.get('onemrc_events_accepted_total'))).toBe(ACCEPTED_PER_CONNECTION * n);
  const refused = all.get('onemrc_events_refused_total');
  expect(refused?.type).toBe('COUNTER');
  expect(value(refused, { code: 'INVALID_JSON' })).toBe(n);
  expect(value(refused, { code: 'UNSUPPORTED_MEDIA_TYPE' })).toBe(n);
  expect(value(refused, { code: 'METHOD_NOT_ALLOWED' })).toBe(n);
  expect(refused?.metrics).toHaveLength(3);

  const requests = all.get('onemrc_http_requests_total');
  const expected: [string, string, number][] = [
    ['/event', '200', 2 * n],
    ['/events', '200', n],
    ['/event', '400', n],
    ['/event', '415', n],
    ['/event', '405', n],
    ['/stats', '200', n],
    ['other', '404', n],
  ];
  for (const [route, status, count] of expected) {
    expect(value(requests, { route, status }), `${route} ${status}`).toBe(count);
  }
  // Nothing else, except the scrape itself, which is answered after it is counted: not yet.
  expect(requests?.metrics.filter((s) => s.labels?.['route'] !== '/metrics')).toHaveLength(expected.length);

  expect(all.get('onemrc_http_request_duration_seconds')?.type).toBe('HISTOGRAM');
  const eventLatency = histogram(text, 'onemrc_http_request_duration_seconds', 'route', '/event');
  expect(Number(eventLatency?.count)).toBe(5 * n);
  const buckets = Object.entries(eventLatency?.buckets ?? {}).map(([le, count]) => [
    le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le),
    Number(count),
  ]);
  expect(buckets.length).toBeGreaterThan(5);
  // Cumulative: never decreasing with the bound, all of them under +Inf.
  const sorted = [...buckets].sort(([a], [b]) => a! - b!);
  for (let i = 1; i < sorted.length; i++) expect(sorted[i]![1]).toBeGreaterThanOrEqual(sorted[i - 1]![1]!);
  expect(sorted.at(-1)).toEqual([Number.POSITIVE_INFINITY, 5 * n]);
  expect(Number(eventLatency?.sum)).toBeGreaterThan(0);

  expect(value(all.get('onemrc_http_open_connections'))).toBe(n);
  expect(value(all.get('process_resident_memory_bytes'))).toBeGreaterThan(10 * 1024 * 1024);
}

for (const { name, serve } of ADAPTERS) {
  describe(`${name}: /metrics`, () => {
    it.each([1, 2])('on %i worker(s): counts match the traffic, summed over workers', async (workers) => {
      const server = await start(serve, { workers });
      // Enough connections that both workers get some (the kernel spreads them).
      const pool = await connections(server.url, 8);
      await send(pool);
      const answer = await sendRequest(pool[0]!, 'GET', '/metrics');
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4; charset=utf-8$/i);
      const all = families(answer.body);
      expectConventions(all);
      expectTrafficCounted(answer.body, pool.length);
      // The scrape itself shows in the next one.
      const again = families((await sendRequest(pool[1]!, 'GET', '/metrics')).body);
      expect(value(again.get('onemrc_http_requests_total'), { route: '/metrics', status: '200' })).toBe(1);
      for (const connection of pool) connection.destroy();
    });

    it('metricsToken: 401 without the token or with another, 200 with it', async () => {
      const server = await start(serve, { metricsToken: 's3cret', resetToken: 'other' });
      const [connection] = await connections(server.url, 1);
      const without = await sendRequest(connection!, 'GET', '/metrics');
      expect(without.status).toBe(401);
      expect(without.headers['www-authenticate']).toMatch(/^Bearer/i);
      expect(JSON.parse(without.body)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
      const wrong = await sendRequest(connection!, 'GET', '/metrics', undefined, {
        authorization: 'Bearer other',
      });
      expect(wrong.status).toBe(401);
      const right = await sendRequest(connection!, 'GET', '/metrics', undefined, {
        authorization: 'Bearer s3cret',
      });
      expect(right.status).toBe(200);
      expect(families(right.body).has('onemrc_events_accepted_total')).toBe(true);
      const post = await sendRequest(connection!, 'POST', '/metrics', '{}', {
        authorization: 'Bearer s3cret',
      });
      expect(post.status).toBe(405);
    });

    it('prom-client is loaded at the first scrape, not with the server (about 14 MB of RSS)', async () => {
      const child = startChild('test/metrics/lazy-child.ts', [name]);
      try {
        expect(await child.line('loaded')).toBe('false false true');
      } finally {
        child.kill();
      }
    });

    it('metrics: false: /metrics is 404, as any unknown path', async () => {
      const server = await start(serve, { metrics: false });
      const [connection] = await connections(server.url, 1);
      const answer = await sendRequest(connection!, 'GET', '/metrics');
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    });

    it('a store that throws counts a store error, and no accepted event', async () => {
      const stats = createStats();
      const server = await start(serve, {
        store: {
          record(userId, value) {
            if (userId === 'broken') throw new Error('disk on fire');
            stats.record(userId, value);
          },
          recordBatch: (events) => stats.recordBatch(events),
          snapshot: () => stats.snapshot(),
          reset: () => stats.reset(),
        },
      });
      const [connection] = await connections(server.url, 1);
      expect((await sendRequest(connection!, 'POST', '/event', event(1))).status).toBe(200);
      const broken = JSON.stringify({ userId: 'broken', value: 1 });
      expect((await sendRequest(connection!, 'POST', '/event', broken)).status).toBe(500);
      const all = families((await sendRequest(connection!, 'GET', '/metrics')).body);
      expect(value(all.get('onemrc_store_errors_total'), { operation: 'record' })).toBe(1);
      expect(value(all.get('onemrc_events_accepted_total'))).toBe(1);
      expect(value(all.get('onemrc_events_refused_total'), { code: 'INTERNAL' })).toBe(1);
    });
  });
}

describe('docs/grafana-dashboard.json', () => {
  it('queries only metrics the server exposes (with processMetrics: full where a panel says so)', async () => {
    const dashboard = readFileSync(new URL('../docs/grafana-dashboard.json', import.meta.url), 'utf8');
    type Panel = { description?: string; targets: { expr: string }[] };
    const panels = (JSON.parse(dashboard) as { panels: Panel[] }).panels;
    const queried = (only: (panel: Panel) => boolean): Set<string> =>
      new Set(
        panels
          .filter(only)
          .flatMap((panel) => panel.targets.map((target) => target.expr))
          .flatMap((expr) => expr.match(/\b(onemrc|process|nodejs)_[a-z0-9_]+/g) ?? [])
          .map((name) => name.replace(/_(bucket|sum|count)$/, '')),
      );
    const full = (panel: Panel): boolean => panel.description?.includes("processMetrics: 'full'") === true;
    const byDefault = queried((panel) => !full(panel));
    const withFull = queried(full);
    expect(byDefault.size).toBeGreaterThan(8);
    expect(withFull.size).toBeGreaterThan(0);
    for (const [names, options] of [
      [byDefault, {}],
      [withFull, { metrics: createServerMetrics({ processMetrics: 'full' }) }],
    ] as const) {
      const server = await start(SERVE.node, options);
      const [connection] = await connections(server.url, 1);
      const exposed = families((await sendRequest(connection!, 'GET', '/metrics')).body);
      for (const name of names) expect(exposed.has(name), `${name} is exposed`).toBe(true);
      // What only a marked panel queries is absent by default: the mark is needed.
      if (names === byDefault) {
        for (const name of withFull) if (!byDefault.has(name)) expect(exposed.has(name), name).toBe(false);
      }
    }
  });
});
