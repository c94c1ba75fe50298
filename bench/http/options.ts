/** The command line of `pnpm bench:http`, checked: each bad value is a TypeError that quotes it. */
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Target } from './targets.js';

export type Client = 'wrk' | 'go';

export interface Options {
  readonly targets: readonly Target[];
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly connections: readonly number[];
  readonly threads: number;
  readonly serverCpu: number;
  readonly clientCpu: number;
  readonly json: boolean;
  readonly rss1m: boolean;
  readonly requests: number;
  readonly profileDir: string | undefined;
  /** Run the TypeScript sources through tsx instead of a bundle (RSS then includes tsx). */
  readonly tsx: boolean;
  /** Repeat every measurement; figures are then the medians. */
  readonly rounds: number;
  /** Load clients for the 1M-event run. */
  readonly clients: readonly Client[];
  /** Concurrent workers (goroutines) of the Go client. */
  readonly goroutines: number;
  /** WORKERS for the adapters' servers, each measured in turn. */
  readonly workers: readonly number[];
}

export function parseOptions(argv: string[], TARGETS: readonly Target[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      duration: { type: 'string', default: '10s' },
      warmup: { type: 'string', default: '2s' },
      connections: { type: 'string', default: '100' },
      threads: { type: 'string', default: '1' },
      'server-cpu': { type: 'string', default: '0' },
      'client-cpu': { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      'rss-1m': { type: 'boolean', default: false },
      requests: { type: 'string', default: '1000000' },
      'cpu-prof': { type: 'boolean', default: false },
      tsx: { type: 'boolean', default: false },
      rounds: { type: 'string', default: '1' },
      client: { type: 'string', default: 'wrk' },
      goroutines: { type: 'string', default: '1000' },
      workers: { type: 'string', default: '1' },
    },
  });
  const rss1m = values['rss-1m'];
  const names = values.only?.split(',').map((name) => name.trim());
  for (const name of names ?? []) {
    if (!TARGETS.some((target) => target.name === name)) {
      const known = TARGETS.map((target) => target.name).join(', ');
      throw new TypeError(`Expected --only to name targets among ${known}, got ${JSON.stringify(name)}`);
    }
  }
  // The RSS goals are the adapters'; baselines join an RSS run only when asked for by name.
  const targets = TARGETS.filter((target) =>
    names ? names.includes(target.name) : !rss1m || target.baseline !== undefined,
  );
  if (rss1m && values.workers !== '1') {
    throw new TypeError('--workers applies to throughput runs, not to --rss-1m');
  }
  const profileDir = values['cpu-prof'] ? mkdtempSync(join(tmpdir(), '1mrc-cpu-prof-')) : undefined;
  return {
    targets,
    durationSeconds: seconds('--duration', values.duration),
    warmupSeconds: seconds('--warmup', values.warmup, true),
    connections: values.connections.split(',').map((n) => positiveInteger('--connections', n)),
    threads: positiveInteger('--threads', values.threads),
    serverCpu: cpuIndex('--server-cpu', values['server-cpu']),
    clientCpu: cpuIndex('--client-cpu', values['client-cpu']),
    json: values.json,
    rss1m,
    requests: positiveInteger('--requests', values.requests),
    profileDir,
    tsx: values.tsx,
    rounds: positiveInteger('--rounds', values.rounds),
    clients: values.client.split(',').map(client),
    goroutines: positiveInteger('--goroutines', values.goroutines),
    workers: values.workers.split(',').map((n) => positiveInteger('--workers', n)),
  };
}

function client(text: string): Client {
  if (text === 'wrk' || text === 'go') return text;
  throw new TypeError(`Expected --client to be wrk, go or wrk,go, got ${JSON.stringify(text)}`);
}

function seconds(flag: string, text: string, zeroAllowed = false): number {
  const match = /^(\d+)(s|m)?$/.exec(text);
  const value = match ? Number(match[1]) * (match[2] === 'm' ? 60 : 1) : Number.NaN;
  if (!(value > 0 || (zeroAllowed && value === 0))) {
    throw new TypeError(`Expected ${flag} to be a duration like 10s or 1m, got ${JSON.stringify(text)}`);
  }
  return value;
}

function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`Expected ${flag} to be a positive integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

function cpuIndex(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value >= availableParallelism()) {
    throw new TypeError(`Expected ${flag} to be a CPU index below ${availableParallelism()}, got ${text}`);
  }
  return value;
}
