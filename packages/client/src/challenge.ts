/**
 * One challenge run: (start a server,) read /stats, send the events, read /stats again,
 * (stop the server,) and compare what changed with what must have changed.
 */
import { randomBytes } from 'node:crypto';
import type { Snapshot } from '@1mrc/core';
import type { Histogram } from 'hdr-histogram-js';
import type { EngineName } from './engines.js';
import { runEngine } from './engines.js';
import { FIELDS, type Validation, validate } from './expected.js';
import type { LoadResult } from './load.js';
import type { PatternName } from './pattern.js';
import { type ChallengeOptions, type Plan, planChallenge } from './plan.js';
import { type ServerProcess, type ServerUsage, startServerProcess } from './server-process.js';
import { type Reading, readEveryServer } from './stats.js';
import { bodiesOf, type LoadSpec, loadOptions, requestCount, runThreads } from './threads.js';

export type { ChallengeOptions } from './plan.js';
export { readStats } from './stats.js';

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** The open model's findings: did the server keep up with the schedule? */
export interface OpenModelReport {
  readonly targetRate: number;
  /** Answers per second, from the first request's due time to the last answer. */
  readonly achievedRate: number;
  /** Latency from each request's due time (corrected for coordinated omission), in µs. */
  readonly correctedUs: LatencySummary;
  /** The latest a request was written after it was due, in ms (waiting for a free connection). */
  readonly maxLateMs: number;
  /** The achieved rate is at least 95 % of the target. */
  readonly keptUp: boolean;
  readonly verdict: string;
}

export interface ChallengeReport {
  readonly ok: boolean;
  /** Why `ok` is false, one line each. */
  readonly problems: readonly string[];
  /** The name given, or the command, or the URL(s). */
  readonly target: string;
  /** The (first) server's URL. */
  readonly url: string;
  /** Every server the connections went to. */
  readonly urls: readonly string[];
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
    /** Open model: the target rate in requests per second; null for the closed loop. */
    readonly rate: number | null;
    /** The environment given to a server this run started (`WORKERS`, `STORE`, …). */
    readonly serverEnv: Readonly<Record<string, string>>;
  };
  /** How this run's userIds start: `user_` on a fresh server, a run-unique prefix otherwise. */
  readonly userPrefix: string;
  /** HTTP requests: as many as events, or one per batch. */
  readonly httpRequests: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly notSent: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly durationMs: number;
  readonly requestsPerSecond: number;
  readonly eventsPerSecond: number;
  /** Of successful requests, in microseconds, from when each was written. */
  readonly latencyUs: LatencySummary;
  readonly openModel?: OpenModelReport;
  readonly before: Snapshot;
  readonly after: Snapshot;
  /** With several servers: what each one said. */
  readonly servers?: readonly { readonly url: string; readonly before: Snapshot; readonly after: Snapshot }[];
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

/** Percentiles never above the maximum: HdrHistogram reports a bucket's top, which can be. */
export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  const max = h.maxValue;
  const at = (p: number): number => Math.min(h.getValueAtPercentile(p), max);
  return { p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max, mean: Math.round(h.mean) };
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
    const bodies = bodiesOf(spec);
    startTicker();
    const part = { first: 0, end: total, connections: spec.connections, connectionOffset: 0 };
    return await runEngine(
      spec.engine,
      loadOptions(spec, { ...part, maxErrors: spec.maxErrors }, bodies, progress, 0),
    );
  } finally {
    clearInterval(ticker);
    onProgress?.(done(), total);
  }
}

/** What the servers were, and said, around the load. */
interface Observed {
  readonly urls: readonly string[];
  readonly userPrefix: string;
  readonly before: Reading;
  readonly after: Reading;
  readonly load: LoadResult;
  readonly cpu: NodeJS.CpuUsage;
  readonly server?: {
    readonly process: ServerProcess;
    readonly before?: ServerUsage | undefined;
    readonly after?: ServerUsage | undefined;
    readonly final?: Snapshot | undefined;
  };
}

async function startServer(
  plan: Plan,
  status: (message: string) => void,
): Promise<ServerProcess | undefined> {
  if (!plan.server) return undefined;
  status(`starting ${plan.target}`);
  const server = await startServerProcess(plan.server.command, plan.server);
  status(`${plan.target} is up at ${server.url} (pid ${server.pid})`);
  return server;
}

/**
 * A server that already holds events gets userIds it cannot have seen (a run-unique prefix),
 * so the uniqueUsers delta is exact; a fresh one gets the challenge's own `user_<n>`.
 */
function userPrefixFor(before: Snapshot): string {
  return before.totalRequests === 0 ? 'user_' : `run${randomBytes(6).toString('hex')}_`;
}

/** Reads /stats, sends the events, reads /stats again; stops a server it started, whatever happens. */
async function observe(plan: Plan, options: ChallengeOptions): Promise<Observed> {
  const status = options.onStatus ?? (() => {});
  const process_ = await startServer(plan, status);
  const urls = process_ ? [process_.url] : (plan.urls ?? []);
  let final: Snapshot | undefined;
  let stopped = false;
  try {
    const before = await readEveryServer(urls, 'before the run');
    const userPrefix = userPrefixFor(before.snapshot);
    const spec: LoadSpec = { ...plan.spec, origins: urls, userPrefix };
    status(`sending ${plan.spec.events} events to ${urls.join(', ')}`);
    const usageBefore = process_?.usage();
    const cpuStart = process.cpuUsage();
    const load = await sendAll(spec, plan.threads, options.onProgress);
    const cpu = process.cpuUsage(cpuStart);
    // Read before SIGTERM: after exit /proc has nothing left to say.
    const usageAfter = process_?.usage();
    const after = await readEveryServer(urls, 'after the run');
    if (process_) {
      status(`stopping ${plan.target}`);
      final = await process_.stop();
      stopped = true;
    }
    return {
      urls,
      userPrefix,
      before,
      after,
      load,
      cpu,
      ...(process_ ? { server: { process: process_, before: usageBefore, after: usageAfter, final } } : {}),
    };
  } finally {
    if (process_ && !stopped) await process_.stop();
  }
}

function problemsOf(plan: Plan, seen: Observed, validation: Validation): string[] {
  const { load } = seen;
  const problems: string[] = [];
  if (load.failed > 0) {
    const kinds = Object.entries(load.errors).map(([kind, n]) => `${kind}: ${n}`);
    problems.push(`${load.failed} requests failed (${kinds.join(', ')})`);
  }
  if (load.notSent > 0) problems.push(`${load.notSent} requests not sent: too many errors`);
  for (const disagreement of [seen.before.disagreement, seen.after.disagreement]) {
    if (disagreement) problems.push(disagreement);
  }
  for (const problem of validation.snapshotProblems) problems.push(`/stats ${problem}`);
  for (const check of validation.checks) {
    if (check.ok) continue;
    const wanted = check.range ? `${check.range[0]} .. ${check.range[1]}` : String(check.expected);
    problems.push(`${check.field}: expected ${wanted}, /stats says ${check.actual}`);
  }
  if (seen.server) {
    const { final } = seen.server;
    if (final === undefined) {
      if (plan.expectFinal) problems.push('the server printed no final snapshot on SIGTERM');
    } else {
      const after = seen.after.snapshot;
      const differ = FIELDS.filter((f) => !Object.is(final[f], after[f]));
      if (differ.length > 0) {
        problems.push(`the final snapshot printed on SIGTERM differs from /stats in ${differ.join(', ')}`);
      }
    }
  }
  return problems;
}

function openModelOf(plan: Plan, load: LoadResult): OpenModelReport | undefined {
  const targetRate = plan.spec.rate;
  if (targetRate === undefined || !load.corrected) return undefined;
  const answered = load.succeeded + load.failed;
  const achievedRate = answered / (Math.max(load.endedAt - load.startedAt, 1e-3) / 1000);
  const keptUp = achievedRate >= 0.95 * targetRate;
  const maxLateMs = load.lateness?.maxMs ?? 0;
  const rounded = (r: number): string => Math.round(r).toLocaleString('en-US');
  const verdict = keptUp
    ? `kept up: ${rounded(achievedRate)} of ${rounded(targetRate)} req/s`
    : `could NOT keep up: ${rounded(achievedRate)} req/s of the ${rounded(targetRate)} req/s target; requests waited up to ${Math.round(maxLateMs)} ms past their send time for a free connection`;
  return { targetRate, achievedRate, correctedUs: summarize(load.corrected), maxLateMs, keptUp, verdict };
}

function reportOf(plan: Plan, seen: Observed, startedAt: string): ChallengeReport {
  const { load, server } = seen;
  const validation = validate(plan.expected, seen.before.snapshot, seen.after.snapshot, {
    usersAreNew: seen.userPrefix !== 'user_',
  });
  const problems = problemsOf(plan, seen, validation);
  const seconds = Math.max(load.endedAt - load.startedAt, 1e-3) / 1000;
  const openModel = openModelOf(plan, load);
  const { spec } = plan;
  return {
    ok: problems.length === 0,
    problems,
    target: plan.target,
    url: seen.urls[0] ?? '',
    urls: seen.urls,
    startedAt,
    options: {
      engine: spec.engine,
      requests: spec.events,
      concurrency: spec.connections,
      pipelining: spec.pipelining,
      users: spec.users,
      pattern: spec.pattern,
      batch: spec.batch ?? null,
      clientThreads: plan.threads,
      rate: spec.rate ?? null,
      serverEnv: plan.server?.env ?? {},
    },
    userPrefix: seen.userPrefix,
    httpRequests: requestCount({ ...spec, origins: seen.urls }),
    succeeded: load.succeeded,
    failed: load.failed,
    notSent: load.notSent,
    errors: load.errors,
    durationMs: seconds * 1000,
    requestsPerSecond: load.succeeded / seconds,
    eventsPerSecond: load.eventsSucceeded / seconds,
    latencyUs: summarize(load.histogram),
    ...(openModel ? { openModel } : {}),
    before: seen.before.snapshot,
    after: seen.after.snapshot,
    ...(seen.urls.length > 1
      ? {
          servers: seen.urls.map((url, i) => ({
            url,
            before: seen.before.each[i]?.snapshot as Snapshot,
            after: seen.after.each[i]?.snapshot as Snapshot,
          })),
        }
      : {}),
    validation,
    client: {
      cpuSeconds: (seen.cpu.user + seen.cpu.system) / 1e6,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    },
    ...(server
      ? {
          server: {
            pid: server.process.pid,
            cpuSeconds: (server.after?.cpuSeconds ?? Number.NaN) - (server.before?.cpuSeconds ?? Number.NaN),
            cpuSecondsTotal: server.after?.cpuSeconds ?? Number.NaN,
            peakRssBytes: server.after?.peakRssBytes ?? Number.NaN,
            final: server.final ?? null,
          },
        }
      : {}),
  };
}

/**
 * Runs the challenge once against one server (`url`, or `command` to start one) or several
 * sharing one store (`url: [a, b, c]`), and reports what it measured and found.
 *
 * The steps: check the options and work out the expected effect exactly (`planChallenge`);
 * start the server if asked; read /stats from every server; send the events (closed loop, or on
 * a fixed schedule with `rate`); read /stats again; stop the server; validate each snapshot on
 * its own and the change exactly.
 *
 * @returns the report; `ok` is false, with `problems` saying why, for a wrong or failing server.
 * @throws TypeError for bad options, before anything is started or sent; Error when a server
 *   cannot be started or its /stats cannot be read.
 */
export async function runChallenge(options: ChallengeOptions = {}): Promise<ChallengeReport> {
  const plan = planChallenge(options);
  const startedAt = new Date().toISOString();
  const seen = await observe(plan, options);
  return reportOf(plan, seen, startedAt);
}
