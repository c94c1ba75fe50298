/**
 * One challenge run: (start a server,) read /stats, send the events, read /stats again,
 * (stop the server,) and compare what changed with what must have changed.
 */
import type { Snapshot } from '@1mrc/core';
import { request } from 'undici';
import { DEFAULT_ENGINE, ENGINES, type EngineName, runEngine } from './engines.js';
import { type Expected, expectedFor, FIELDS, type Validation, validate } from './expected.js';
import type { LoadResult } from './load.js';
import { buildBodies, createPattern, type PatternName } from './pattern.js';
import {
  ADAPTERS,
  type AdapterName,
  exampleCommand,
  type ServerProcess,
  type ServerUsage,
  startServerProcess,
} from './server-process.js';
import { type LoadSpec, requestCount, runThreads } from './threads.js';

export interface ChallengeOptions {
  /** Start this adapter's example (`examples/<adapter>`) as a child process. The default target. */
  readonly adapter?: AdapterName;
  /** Use a server that is already running. */
  readonly url?: string;
  /** Start this command instead (it must behave like an example: PORT, HOST, SIGTERM → `final {…}`). */
  readonly command?: readonly string[];
  /** How requests are sent: `raw` (node:net, pre-built requests) or `undici`. Default `raw`. */
  readonly engine?: EngineName;
  /** Events to send. Default 1,000,000. */
  readonly requests?: number;
  /** Connections. Default 1,000. */
  readonly concurrency?: number;
  /** Requests in flight per connection. Default 1. */
  readonly pipelining?: number;
  /** Distinct users in the pattern. Default 75,000. */
  readonly users?: number;
  /** Default `seed`. */
  readonly pattern?: PatternName;
  /** Send `POST /events` with this many events each instead of one `POST /event` per event. */
  readonly batch?: number;
  /** Worker threads sending requests. Default 1 (the main thread only). */
  readonly clientThreads?: number;
  /** Per-request and connect timeout, in ms. Default 30,000. */
  readonly timeoutMs?: number;
  /** Stop starting requests once this many failed. Default 1,000. */
  readonly maxErrors?: number;
  /** `WORKERS` for a server this run starts: event loops it serves on. Default: the server's (1). */
  readonly workers?: number | 'auto';
  /** Called about ten times a second while sending. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Called with a line about each step (starting the server, …). */
  readonly onStatus?: (message: string) => void;
}

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

export interface ChallengeReport {
  readonly ok: boolean;
  /** Why `ok` is false, one line each. */
  readonly problems: readonly string[];
  /** The adapter name, or the URL, or the command. */
  readonly target: string;
  readonly url: string;
  readonly startedAt: string;
  readonly options: {
    readonly engine: EngineName;
    readonly requests: number;
    readonly concurrency: number;
    readonly pipelining: number;
    readonly users: number;
    readonly pattern: PatternName;
    readonly batch: number | null;
    readonly clientThreads: number;
    /** The `WORKERS` given to a server this run started; null when not given. */
    readonly workers: number | 'auto' | null;
  };
  /** HTTP requests: as many as events, or one per batch. */
  readonly httpRequests: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly notSent: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly durationMs: number;
  readonly requestsPerSecond: number;
  readonly eventsPerSecond: number;
  /** Of successful requests, in microseconds. */
  readonly latencyUs: LatencySummary;
  readonly before: Snapshot;
  readonly after: Snapshot;
  readonly validation: Validation;
  readonly client: { readonly cpuSeconds: number; readonly peakRssBytes: number };
  /**
   * Only for a server this run started. `cpuSeconds` is what it used while the events were
   * sent (comparable with the client's), `cpuSecondsTotal` includes its start-up.
   */
  readonly server?: ServerUsage & {
    readonly pid: number;
    readonly cpuSecondsTotal: number;
    readonly final: Snapshot | null;
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`Expected ${name} to be a positive integer, got ${String(value)}`);
  }
  return value;
}

function resolveTarget(options: ChallengeOptions): {
  url?: string;
  command?: readonly string[];
  target: string;
} {
  const given = [options.adapter, options.url, options.command].filter((x) => x !== undefined).length;
  if (given > 1) throw new TypeError('Expected at most one of adapter, url and command');
  if (options.url !== undefined) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new TypeError(`Expected url to be an http:// URL, got ${options.url}`);
    }
    if (url.protocol !== 'http:')
      throw new TypeError(`Expected url to be an http:// URL, got ${options.url}`);
    return { url: url.origin, target: url.origin };
  }
  if (options.command !== undefined) return { command: options.command, target: options.command.join(' ') };
  const adapter = options.adapter ?? 'uws';
  if (!ADAPTERS.includes(adapter)) {
    throw new TypeError(`Expected adapter to be one of ${ADAPTERS.join(', ')}, got ${String(adapter)}`);
  }
  return { command: exampleCommand(adapter), target: adapter };
}

/** GET /stats; a field that is not a number reads as NaN, so it fails validation by name. */
export async function readStats(url: string): Promise<Snapshot> {
  let statusCode: number;
  let text: string;
  try {
    const response = await request(`${url}/stats`, {
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
      reset: true,
    });
    statusCode = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    throw new Error(`GET ${url}/stats failed: ${(error as Error).message}`);
  }
  if (statusCode !== 200) throw new Error(`GET ${url}/stats answered ${statusCode}: ${text.slice(0, 200)}`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`GET ${url}/stats answered something that is not JSON: ${text.slice(0, 200)}`);
  }
  const field = (name: string): number =>
    typeof json[name] === 'number' ? (json[name] as number) : Number.NaN;
  return {
    totalRequests: field('totalRequests'),
    uniqueUsers: field('uniqueUsers'),
    sum: field('sum'),
    avg: field('avg'),
  };
}

function summarize(result: LoadResult): LatencySummary {
  const h = result.histogram;
  if (h.totalCount === 0) return { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  return {
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
    mean: Math.round(h.mean),
  };
}

async function sendAll(spec: LoadSpec, threads: number, onProgress?: ChallengeOptions['onProgress']) {
  const total = requestCount(spec);
  const progress = new Int32Array(new SharedArrayBuffer(4 * threads));
  const done = (): number => progress.reduce((a, b) => a + b, 0);
  let ticker: NodeJS.Timeout | undefined;
  const startTicker = (): void => {
    if (onProgress) ticker = setInterval(() => onProgress(done(), total), 100);
  };
  try {
    if (threads > 1) return await runThreads(spec, threads, progress, startTicker);
    const bodies = buildBodies(createPattern(spec.pattern, spec.users), spec.events, spec.batch);
    startTicker();
    return await runEngine(spec.engine, {
      origin: spec.origin,
      path: spec.batch === undefined ? '/event' : '/events',
      bodies,
      first: 0,
      end: total,
      connections: spec.connections,
      pipelining: spec.pipelining,
      timeoutMs: spec.timeoutMs,
      maxErrors: spec.maxErrors,
      progress,
    });
  } finally {
    clearInterval(ticker);
    onProgress?.(done(), total);
  }
}

function problemsOf(load: LoadResult, validation: Validation, after: Snapshot, final?: Snapshot): string[] {
  const problems: string[] = [];
  if (load.failed > 0) {
    const kinds = Object.entries(load.errors).map(([kind, n]) => `${kind}: ${n}`);
    problems.push(`${load.failed} requests failed (${kinds.join(', ')})`);
  }
  if (load.notSent > 0) problems.push(`${load.notSent} requests not sent: too many errors`);
  for (const check of validation.checks) {
    if (check.ok) continue;
    const wanted = check.range ? `${check.range[0]} .. ${check.range[1]}` : String(check.expected);
    problems.push(`${check.field}: expected ${wanted}, /stats says ${check.actual}`);
  }
  if (final) {
    const differ = FIELDS.filter((f) => !Object.is(final[f], after[f]));
    if (differ.length > 0) {
      problems.push(`the final snapshot printed on SIGTERM differs from /stats in ${differ.join(', ')}`);
    }
  }
  return problems;
}

/** Runs the challenge once and reports; never throws for a wrong server, only for bad options or no server. */
export async function runChallenge(options: ChallengeOptions = {}): Promise<ChallengeReport> {
  const target = resolveTarget(options);
  const events = positive('requests', options.requests, 1_000_000);
  // Progress counters are Int32Array slots (Atomics work on integer arrays only).
  if (events > 2 ** 31 - 1) throw new TypeError(`Expected requests to be at most 2^31 - 1, got ${events}`);
  const pattern = createPattern(options.pattern ?? 'seed', positive('users', options.users, 75_000));
  const batch = options.batch === undefined ? undefined : positive('batch', options.batch, 1);
  const engine = options.engine ?? DEFAULT_ENGINE;
  const { workers } = options;
  if (workers !== undefined && workers !== 'auto') positive('workers', workers, 1);
  if (workers !== undefined && target.command === undefined) {
    throw new TypeError('Expected no workers with url: they apply to a server this run starts');
  }
  if (!ENGINES.includes(engine)) {
    throw new TypeError(`Expected engine to be one of ${ENGINES.join(', ')}, got ${String(engine)}`);
  }
  const spec: LoadSpec = {
    engine,
    origin: target.url ?? '',
    pattern: pattern.name,
    users: pattern.users,
    events,
    batch,
    connections: positive('concurrency', options.concurrency, 1000),
    pipelining: positive('pipelining', options.pipelining, 1),
    timeoutMs: positive('timeoutMs', options.timeoutMs, 30_000),
    maxErrors: positive('maxErrors', options.maxErrors, 1000),
  };
  const threads = positive('clientThreads', options.clientThreads, 1);
  if (threads > spec.connections) {
    throw new TypeError(
      `Expected clientThreads (${threads}) to be at most concurrency (${spec.connections})`,
    );
  }
  const expected: Expected = expectedFor(pattern, events);
  const status = options.onStatus ?? (() => {});
  const startedAt = new Date().toISOString();

  let server: ServerProcess | undefined;
  if (target.command) {
    status(`starting ${target.target}`);
    server = await startServerProcess(
      target.command,
      workers === undefined ? {} : { env: { WORKERS: String(workers) } },
    );
    status(`${target.target} is up at ${server.url} (pid ${server.pid})`);
  }
  const url = server?.url ?? target.url ?? '';
  let final: Snapshot | undefined;
  let usage: ServerUsage | undefined;
  let usageBefore: ServerUsage | undefined;
  let before: Snapshot;
  let after: Snapshot;
  let load: LoadResult;
  let cpu: NodeJS.CpuUsage;
  try {
    before = await readStats(url);
    status(`sending ${events} events to ${url}`);
    usageBefore = server?.usage();
    const cpuStart = process.cpuUsage();
    load = await sendAll({ ...spec, origin: url }, threads, options.onProgress);
    cpu = process.cpuUsage(cpuStart);
    // Read before SIGTERM: after exit /proc has nothing left to say.
    usage = server?.usage();
    after = await readStats(url);
  } finally {
    if (server) {
      status(`stopping ${target.target}`);
      final = await server.stop();
    }
  }

  const validation = validate(expected, before, after);
  const problems = problemsOf(load, validation, after, final);
  if (server && final === undefined) problems.push('the server printed no final snapshot on SIGTERM');
  const seconds = Math.max(load.endedAt - load.startedAt, 1e-3) / 1000;
  return {
    ok: problems.length === 0,
    problems,
    target: target.target,
    url,
    startedAt,
    options: {
      engine,
      requests: events,
      concurrency: spec.connections,
      pipelining: spec.pipelining,
      users: pattern.users,
      pattern: pattern.name,
      batch: batch ?? null,
      clientThreads: threads,
      workers: workers ?? null,
    },
    httpRequests: requestCount(spec),
    succeeded: load.succeeded,
    failed: load.failed,
    notSent: load.notSent,
    errors: load.errors,
    durationMs: seconds * 1000,
    requestsPerSecond: load.succeeded / seconds,
    eventsPerSecond: load.eventsSucceeded / seconds,
    latencyUs: summarize(load),
    before,
    after,
    validation,
    client: {
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    },
    ...(server
      ? {
          server: {
            pid: server.pid,
            cpuSeconds: (usage?.cpuSeconds ?? Number.NaN) - (usageBefore?.cpuSeconds ?? Number.NaN),
            cpuSecondsTotal: usage?.cpuSeconds ?? Number.NaN,
            peakRssBytes: usage?.peakRssBytes ?? Number.NaN,
            final: final ?? null,
          },
        }
      : {}),
  };
}
