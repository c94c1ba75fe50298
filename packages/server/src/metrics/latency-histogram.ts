import type { Metric } from 'prom-client';
import { type MetricValue, plainMetric } from './plain-metric.js';

export interface LatencyHistogramOptions {
  readonly name: string;
  readonly help: string;
  /** The one label that tells the series apart. */
  readonly label: string;
  /** Upper bounds, ascending; `+Inf` is added. */
  readonly buckets: readonly number[];
}

interface Series {
  /** Observations per bucket (not cumulative); the last slot is past every bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A histogram whose `observe` is a few array writes, exposed to prom-client's registry as a
 * metric of type `histogram` with the values prom-client's own `Histogram.get()` gives
 * (cumulative `_bucket{le}` series, `_sum`, `_count`), so the registry renders and aggregates it
 * like one. prom-client's `Histogram.observe` hashes the label set and allocates on every call.
 */
export class LatencyHistogram {
  readonly #options: LatencyHistogramOptions;
  readonly #series = new Map<string, Series>();

  constructor(options: LatencyHistogramOptions) {
    const { buckets } = options;
    if (!buckets.every((bound, i) => Number.isFinite(bound) && (i === 0 || bound > (buckets[i - 1] ?? 0)))) {
      throw new TypeError(`Expected buckets to be finite and ascending, got ${buckets.join(', ')}`);
    }
    this.#options = options;
  }

  /** The observer of one label value: adds `times` observations of `value`. */
  series(labelValue: string): (value: number, times: number) => void {
    const { buckets } = this.#options;
    let series = this.#series.get(labelValue);
    if (series === undefined) {
      series = { counts: new Float64Array(buckets.length + 1), sum: 0, count: 0 };
      this.#series.set(labelValue, series);
    }
    const { counts } = series;
    const bound = series;
    return (value, times) => {
      let i = 0;
      while (i < buckets.length && value > (buckets[i] as number)) i++;
      counts[i] = (counts[i] ?? 0) + times;
      bound.sum += value * times;
      bound.count += times;
    };
  }

  /** What `Registry.registerMetric` takes. */
  get metric(): Metric {
    const { name, help, label, buckets } = this.#options;
    return plainMetric({
      name,
      help,
      type: 'histogram',
      values: () => {
        const values: MetricValue[] = [];
        for (const [labelValue, { counts, sum, count }] of this.#series) {
          let cumulative = 0;
          buckets.forEach((le, i) => {
            cumulative += counts[i] ?? 0;
            values.push({
              metricName: `${name}_bucket`,
              labels: { le, [label]: labelValue },
              value: cumulative,
            });
          });
          values.push({
            metricName: `${name}_bucket`,
            labels: { le: '+Inf', [label]: labelValue },
            value: count,
          });
          values.push({ metricName: `${name}_sum`, labels: { [label]: labelValue }, value: sum });
          values.push({ metricName: `${name}_count`, labels: { [label]: labelValue }, value: count });
        }
        return values;
      },
    });
  }
}
