/** How many workers: the option, `WORKERS` and `--workers`, and what they refuse. */
import { availableParallelism } from 'node:os';
import { optionsFromArgs, optionsFromEnv, serverSetup } from '@1mrc/server';
import { serveWorkers, workerCount } from '@1mrc/server/workers';
import { describe, expect, it } from 'vitest';

describe('workers', () => {
  it('counts: default 1, auto one per core, a positive integer as is', () => {
    expect(workerCount(undefined)).toBe(1);
    expect(workerCount('auto')).toBe(availableParallelism());
    expect(workerCount(3)).toBe(3);
    for (const bad of [0, -1, 1.5, Number.NaN, '2' as unknown as number]) {
      expect(() => workerCount(bad)).toThrow(TypeError);
    }
  });

  it('reads WORKERS and --workers, and refuses anything else', () => {
    expect(optionsFromEnv({ WORKERS: '4' })).toEqual({ workers: 4 });
    expect(optionsFromEnv({ WORKERS: 'auto' })).toEqual({ workers: 'auto' });
    expect(optionsFromEnv({ WORKERS: '' })).toEqual({});
    expect(() => optionsFromEnv({ WORKERS: '0' })).toThrow(
      'Expected WORKERS to be a positive integer or auto, got 0',
    );
    expect(() => optionsFromEnv({ WORKERS: '2.5' })).toThrow(TypeError);
    expect(optionsFromArgs(['--workers', '2'])).toEqual({ workers: 2 });
    expect(optionsFromArgs(['--workers=auto'])).toEqual({ workers: 'auto' });
    expect(optionsFromArgs([])).toEqual({});
    expect(() => optionsFromArgs(['--workers', 'two'])).toThrow(
      'Expected --workers to be a positive integer or auto',
    );
    expect(() => optionsFromArgs(['--port', '80'])).toThrow(/Unknown option '--port'/);
  });

  it('refuses a store: each worker records into its own shard', async () => {
    const store = {
      record() {},
      recordBatch() {},
      snapshot: () => ({ totalRequests: 0, uniqueUsers: 0, sum: 0, avg: 0 }),
      reset() {},
    };
    await expect(serveWorkers('threads', 'file:///nowhere.js', { workers: 2, store })).rejects.toThrow(
      'Expected no store with workers',
    );
  });
});

describe('metrics options', () => {
  it('reads METRICS (on or off) and METRICS_TOKEN, and refuses anything else', () => {
    expect(optionsFromEnv({ METRICS: 'off' })).toEqual({ metrics: false });
    expect(optionsFromEnv({ METRICS: 'on', METRICS_TOKEN: 't' })).toEqual({
      metrics: true,
      metricsToken: 't',
    });
    expect(() => optionsFromEnv({ METRICS: 'no' })).toThrow('Expected METRICS to be on or off, got no');
  });

  it('refuses a metrics that is neither a boolean nor a ServerMetrics, and an empty token', () => {
    expect(() => serverSetup({ metrics: 'yes' as unknown as boolean })).toThrow(
      'Expected metrics to be a boolean or a ServerMetrics, got yes',
    );
    expect(() => serverSetup({ metricsToken: '' })).toThrow(
      "Expected metricsToken to be a non-empty string, got ''",
    );
    expect(serverSetup({ metrics: false }).metrics).toBeUndefined();
    expect(serverSetup({}).metrics).toBeDefined();
  });

  it('refuses a ServerMetrics with workers: each worker keeps its own', async () => {
    const { metrics } = serverSetup({});
    await expect(serveWorkers('threads', 'file:///nowhere.js', { workers: 2, metrics })).rejects.toThrow(
      'Expected metrics to be true or false with workers',
    );
  });
});
