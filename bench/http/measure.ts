/** One measured run of a target: throughput under wrk, or RSS after exactly N events. */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createPattern, expectedFor, expectedSnapshot } from '@1mrc/client';
import { cpuSeconds, getText, memory, type ServerProcess } from '@1mrc/testkit';
import { bundle } from './bundle.js';
import { runGoClient } from './go-client.js';
import type { Client, Options } from './options.js';
import { hotSpots, mainThreadProfile } from './profile.js';
import { type Program, startServer } from './server.js';
import type { Target } from './targets.js';
import { runWrk, type WrkResult } from './wrk.js';

const MB = 1024 * 1024;

/** Where a run finds the repository, the wrk script and the bundles it builds. */
export interface Place {
  readonly root: string;
  readonly script: string;
  readonly bundles: string;
}

/**
 * Users of the challenge pattern as bench/wrk/event.lua and bench/go-client send it: event i is
 * `user_<i % 75000>`; the values are `i % 1000` from wrk (the `seed` pattern) and `i % 1000 + 0.5`
 * from the Go client (`official`).
 */
const BENCH_USERS = 75_000;
const PATTERN_OF: Record<Client, 'seed' | 'official'> = { wrk: 'seed', go: 'official' };

export interface Run {
  readonly target: string;
  readonly connections: number;
  /** The server's WORKERS (1 for baselines). */
  readonly workers: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serverCpuUsPerRequest: number;
  readonly serverCpuPercent: number;
  readonly clientCpuPercent: number;
  readonly rssMb: number;
  readonly peakRssMb: number;
  /** Events the server counted during the measured window. */
  readonly counted: number;
  readonly completed: number;
  readonly issued: number;
  /** Empty when the run is clean and the server's count is consistent with wrk's. */
  readonly problems: readonly string[];
  readonly hotSpots?: readonly { name: string; percent: number }[];
}

async function totalRequests(url: string): Promise<number> {
  return (JSON.parse((await getText(`${url}/stats`)).body) as { totalRequests: number }).totalRequests;
}

/** Problems that make a run's figures meaningless, as sentences; none means trust it. */
function problemsOf(wrk: WrkResult, counted: number, server: ServerProcess): string[] {
  const problems: string[] = [];
  if (wrk.non2xx > 0) problems.push(`${wrk.non2xx} non-2xx answers`);
  if (wrk.socketErrors > 0) problems.push(`${wrk.socketErrors} socket errors`);
  if (wrk.timeouts > 0) problems.push(`${wrk.timeouts} answers slower than 10 s`);
  // Answers still in flight when wrk stops were counted by the server but not by wrk.
  if (counted < wrk.completed || counted > wrk.issued) {
    problems.push(`server counted ${counted}, wrk completed ${wrk.completed} of ${wrk.issued} sent`);
  }
  if (/Falling back/.test(server.stderr())) problems.push('uWS fell back to its Node.js implementation');
  return problems;
}

/** How node runs a target: a bundle by default, so that no TypeScript loader is measured. */
async function program(target: Target, options: Options, place: Place): Promise<Program> {
  const entry = join(place.root, target.entry);
  if (options.tsx) return { name: target.name, args: ['--conditions=source', '--import', 'tsx', entry] };
  return { name: target.name, args: [await bundle(entry, target.name, place.bundles)] };
}

/**
 * One CPU for one worker; for N, N CPUs other than the client's if the machine has them, else
 * every CPU (the client's included).
 */
function serverCpus(workers: number, options: Options): number | string {
  if (workers === 1) return options.serverCpu;
  const all = Array.from({ length: availableParallelism() }, (_, cpu) => cpu);
  const free = all.filter((cpu) => cpu !== options.clientCpu);
  return (free.length >= workers ? free.slice(0, workers) : all).join(',');
}

export async function measure(
  target: Target,
  connections: number,
  workers: number,
  options: Options,
  place: Place,
): Promise<Run> {
  const server = await startServer(await program(target, options, place), {
    cpu: serverCpus(workers, options),
    root: place.root,
    profileDir: options.profileDir,
    env: { WORKERS: String(workers) },
  });
  try {
    const load = {
      url: server.url,
      script: place.script,
      cpu: options.clientCpu,
      threads: options.threads,
      connections,
    };
    // Scraped once first, as Prometheus would: a server loads prom-client and starts its
    // collectors at the first scrape, and is measured as it runs when watched. (404 on the bare.)
    await getText(`${server.url}/metrics`);
    if (options.warmupSeconds > 0) await runWrk({ ...load, durationSeconds: options.warmupSeconds });
    const countedBefore = await totalRequests(server.url);
    const cpuBefore = server.cpuSeconds();
    const wrk = await runWrk({ ...load, durationSeconds: options.durationSeconds });
    const serverCpu = server.cpuSeconds() - cpuBefore;
    const { rss, peak } = server.memory();
    const counted = (await totalRequests(server.url)) - countedBefore;
    const problems = problemsOf(wrk, counted, server);
    const final = await server.stop();
    const hot = options.profileDir ? mainThreadProfile(options.profileDir, server.pid) : undefined;
    if (final === undefined) problems.push('no "final" line on SIGTERM');
    return {
      target: target.name,
      connections,
      workers,
      requestsPerSecond: wrk.requestsPerSecond,
      p50Ms: wrk.p50Ms,
      p99Ms: wrk.p99Ms,
      serverCpuUsPerRequest: (serverCpu * 1e6) / counted,
      serverCpuPercent: (100 * serverCpu) / wrk.seconds,
      clientCpuPercent: (100 * wrk.clientCpuSeconds) / wrk.seconds,
      rssMb: rss / MB,
      peakRssMb: peak / MB,
      counted,
      completed: wrk.completed,
      issued: wrk.issued,
      problems,
      ...(hot ? { hotSpots: hotSpots(hot, place.root) } : {}),
    };
  } finally {
    await server.stop();
  }
}

export interface RssRun {
  readonly target: string;
  readonly client: Client;
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly serverCpuUsPerRequest: number;
  readonly clientCpuPercent: number;
  readonly rssMb: number;
  readonly peakRssMb: number;
  readonly goalMb: number | undefined;
  readonly problems: readonly string[];
}

interface Load {
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly clientCpuSeconds: number;
  readonly problems: readonly string[];
}

async function drive(
  client: Client,
  url: string,
  options: Options,
  goClient: string | undefined,
  place: Place,
): Promise<Load> {
  if (client === 'go') {
    if (goClient === undefined) throw new Error('the Go client was not built');
    const go = await runGoClient(goClient, {
      url,
      cpu: options.clientCpu,
      requests: options.requests,
      workers: options.goroutines,
    });
    const problems = go.errors > 0 ? [`${go.errors} errors, first: ${go.firstError}`] : [];
    return { ...go, problems: go.correct ? problems : [...problems, 'go-client: /stats wrong'] };
  }
  const wrk = await runWrk({
    url,
    script: place.script,
    cpu: options.clientCpu,
    threads: options.threads,
    connections: options.connections[0] ?? 100,
    durationSeconds: 600,
    cap: options.requests,
  });
  const problems: string[] = [];
  if (wrk.completed !== options.requests) problems.push(`wrk completed ${wrk.completed}`);
  if (wrk.non2xx > 0 || wrk.socketErrors > 0) {
    problems.push(`${wrk.non2xx} non-2xx, ${wrk.socketErrors} socket errors`);
  }
  return { ...wrk, problems };
}

export async function measureRss(
  target: Target,
  client: Client,
  options: Options,
  goClient: string | undefined,
  place: Place,
): Promise<RssRun> {
  const server = await startServer(await program(target, options, place), {
    cpu: options.serverCpu,
    root: place.root,
    profileDir: undefined,
  });
  try {
    const cpuBefore = cpuSeconds(server.pid);
    const load = await drive(client, server.url, options, goClient, place);
    const serverCpu = cpuSeconds(server.pid) - cpuBefore;
    const { rss, peak } = memory(server.pid);
    const stats = JSON.parse((await getText(`${server.url}/stats`)).body) as Record<string, unknown>;
    const problems = [...load.problems];
    // The exact oracle: the double nearest the exact sum of what was sent, not a float running sum.
    const pattern = createPattern(PATTERN_OF[client], BENCH_USERS);
    for (const [field, value] of Object.entries(expectedSnapshot(expectedFor(pattern, options.requests)))) {
      if (stats[field] !== value) problems.push(`${field} is ${String(stats[field])}, expected ${value}`);
    }
    return {
      target: target.name,
      client,
      requests: options.requests,
      seconds: load.seconds,
      requestsPerSecond: load.requestsPerSecond,
      serverCpuUsPerRequest: (serverCpu * 1e6) / options.requests,
      clientCpuPercent: (100 * load.clientCpuSeconds) / load.seconds,
      rssMb: rss / MB,
      peakRssMb: peak / MB,
      goalMb: target.rssGoalMb,
      problems,
    };
  } finally {
    await server.stop();
  }
}
