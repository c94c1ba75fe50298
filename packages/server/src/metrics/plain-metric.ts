import type { Metric } from 'prom-client';

/** One value of a metric, as prom-client's `get()` lists them. */
export interface MetricValue {
  readonly metricName?: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

export interface PlainMetricOptions {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  /** How a sum over workers combines it: `sum`, or `max` for what every worker sees alike. */
  readonly aggregator?: 'sum' | 'max';
  /** Its values now, read at scrape time from counts kept elsewhere. */
  readonly values: () => MetricValue[] | Promise<MetricValue[]>;
}

/**
 * A metric that prom-client's registry renders and sums over workers like one of its own, made
 * without prom-client: a registry reads a metric through `get()` alone. So the counts live in
 * plain numbers, and prom-client (about 14 MB of RSS once loaded) is loaded only when
 * `/metrics` is first scraped.
 */
export function plainMetric(options: PlainMetricOptions): Metric {
  const { name, help, type, aggregator = 'sum', values } = options;
  const get = async () => ({ name, help, type, aggregator, values: await values() });
  return { name, help, type, aggregator, get } as unknown as Metric;
}
