/**
 * HTTP benchmark: each adapter's example server against a bare server on the same framework,
 * the server pinned to one CPU and wrk to another, so the figures are the server's own cost.
 *
 *   pnpm bench:http [--only node,uws-bare] [--duration 10s] [--connections 100,1000]
 *                   [--threads 1] [--warmup 2s] [--rounds 1] [--json] [--cpu-prof] [--workers 1,2]
 *   pnpm bench:http --rss-1m [--requests 1000000] [--client wrk,go] [--goroutines 1000]
 *     RSS after exactly that many events, from wrk and/or bench/go-client (the official
 *     challenge client's methodology: 1,000 goroutines on a keep-alive http.Client).
 *
 * `--workers 1,2` runs each adapter with WORKERS=1, then WORKERS=2 (baselines stay at 1), and
 * compares them: CPU is then the whole process tree's (cluster workers are child processes), and
 * a server on N > 1 workers gets N CPUs, the client's own CPU included if there are not enough.
 * With a bundle, worker threads and processes run the sources through tsx (see @1mrc/server/workers).
 *
 * Servers run as esbuild bundles on bare node (`--tsx` runs the sources through tsx instead,
 * which adds about 40 MB of RSS). `--cpu-prof` prints each server's hottest functions.
 *
 * Needs Linux (taskset, /proc), two or more CPUs, and wrk (`apt-get install -y wrk`).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundle } from './http/bundle.js';
import { buildGoClient, runGoClient } from './http/go-client.js';
import { cpuSeconds, memory, treeCpuSeconds, treeMemory } from './http/proc.js';
import { hotSpots, mainThreadProfile } from './http/profile.js';
import { getText, type Program, type ServerProcess, startServer } from './http/server.js';
import { hasWrk, runWrk, type WrkResult } from './http/wrk.js';

interface Target {
  readonly name: string;
  readonly entry: string;
  /** An adapter's bare counterpart; baselines have none. */
  readonly baseline?: string;
  /** The adapter's goal for RSS after a 1M-event run, in MB. */
  readonly rssGoalMb?: number;
}

// Pairs next to each other, so a change in machine load hits both sides of a ratio alike.
const TARGETS: readonly Target[] = [
  { name: 'node-bare', entry: 'bench/baselines/node.ts' },
  { name: 'node', entry: 'examples/node/src/main.ts', baseline: 'node-bare', rssGoalMb: 110 },
  { name: 'fastify-bare', entry: 'bench/baselines/fastify.ts' },
  { name: 'fastify', entry: 'examples/fastify/src/main.ts', baseline: 'fastify-bare', rssGoalMb: 110 },
  { name: 'uws-bare', entry: 'bench/baselines/uws.ts' },
  { name: 'uws', entry: 'examples/uws/src/main.ts', baseline: 'uws-bare', rssGoalMb: 70 },
];
const ADAPTER_GOAL = { min: 0.9, aim: 1.0 };
const UWS_OVER_NODE_GOAL = 1.8;
/** Below this much of its CPU, a server was held back by something else (the client, other load). */
const SATURATED_PERCENT = 90;

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const SCRIPT = join(ROOT, 'bench/wrk/event.lua');
const MB = 1024 * 1024;

interface Options {
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

interface Run {
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

function parseOptions(argv: string[]): Options {
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

const bundles = mkdtempSync(join(tmpdir(), '1mrc-bench-'));
process.on('exit', () => rmSync(bundles, { recursive: true, force: true }));

/** How node runs a target: a bundle by default, so that no TypeScript loader is measured. */
async function program(target: Target, options: Options): Promise<Program> {
  const entry = join(ROOT, target.entry);
  if (options.tsx) return { name: target.name, args: ['--conditions=source', '--import', 'tsx', entry] };
  return { name: target.name, args: [await bundle(entry, target.name, bundles)] };
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

async function measure(target: Target, connections: number, workers: number, options: Options): Promise<Run> {
  const server = await startServer(await program(target, options), {
    cpu: serverCpus(workers, options),
    root: ROOT,
    profileDir: options.profileDir,
    env: { WORKERS: String(workers) },
  });
  try {
    const load = {
      url: server.url,
      script: SCRIPT,
      cpu: options.clientCpu,
      threads: options.threads,
      connections,
    };
    if (options.warmupSeconds > 0) await runWrk({ ...load, durationSeconds: options.warmupSeconds });
    const countedBefore = await totalRequests(server.url);
    const cpuBefore = treeCpuSeconds(server.pid);
    const wrk = await runWrk({ ...load, durationSeconds: options.durationSeconds });
    const serverCpu = treeCpuSeconds(server.pid) - cpuBefore;
    const { rss, peak } = treeMemory(server.pid);
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
      ...(hot ? { hotSpots: hotSpots(hot, ROOT) } : {}),
    };
  } finally {
    await server.stop();
  }
}

/** Each figure the median of its rounds, so one stall on a busy machine does not decide. */
function medians(rounds: readonly (readonly Run[])[]): Run[] {
  const all = rounds.flat();
  const alike = (a: Run, b: Run): boolean =>
    a.target === b.target && a.connections === b.connections && a.workers === b.workers;
  const firsts = all.filter((run, index) => all.findIndex((o) => alike(o, run)) === index);
  return firsts.map((run) => {
    const same = all.filter((other) => alike(other, run));
    const median = (figure: (run: Run) => number): number => {
      const sorted = same.map(figure).sort((a, b) => a - b);
      return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
    };
    return {
      ...run,
      requestsPerSecond: median((r) => r.requestsPerSecond),
      p50Ms: median((r) => r.p50Ms),
      p99Ms: median((r) => r.p99Ms),
      serverCpuUsPerRequest: median((r) => r.serverCpuUsPerRequest),
      serverCpuPercent: median((r) => r.serverCpuPercent),
      clientCpuPercent: median((r) => r.clientCpuPercent),
      rssMb: median((r) => r.rssMb),
      peakRssMb: median((r) => r.peakRssMb),
      counted: median((r) => r.counted),
      problems: same.flatMap((r) => r.problems),
    };
  });
}

interface Ratio {
  readonly connections: number;
  readonly name: string;
  /** Requests per second, numerator over denominator. */
  readonly throughput: number;
  /** Server CPU per request, denominator over numerator: above 1 means the numerator is cheaper. */
  readonly efficiency: number;
  readonly goal: number;
  /**
   * Judged on req/s when both servers had their CPU to themselves; when either was held back
   * (by other load on its CPU), req/s measures the machine, so it is judged on CPU per request.
   */
  readonly judgedOn: 'req/s' | 'CPU/req';
  readonly met: boolean;
}

function ratios(runs: readonly Run[]): Ratio[] {
  const result: Ratio[] = [];
  const find = (name: string, connections: number, workers = 1): Run | undefined =>
    runs.find(
      (run) =>
        run.target === name &&
        run.connections === connections &&
        run.workers === workers &&
        run.problems.length === 0,
    );
  const pair = (top: Run | undefined, bottom: Run | undefined, name: string, goal: number): void => {
    if (!top || !bottom) return;
    const throughput = top.requestsPerSecond / bottom.requestsPerSecond;
    const efficiency = bottom.serverCpuUsPerRequest / top.serverCpuUsPerRequest;
    const saturated = Math.min(top.serverCpuPercent, bottom.serverCpuPercent) >= SATURATED_PERCENT;
    const judgedOn = saturated ? 'req/s' : 'CPU/req';
    const met = (saturated ? throughput : efficiency) >= goal;
    result.push({ connections: top.connections, name, throughput, efficiency, goal, judgedOn, met });
  };
  for (const connections of new Set(runs.map((run) => run.connections))) {
    for (const target of TARGETS) {
      if (target.baseline === undefined) continue;
      const name = `${target.name} / ${target.baseline}`;
      pair(find(target.name, connections), find(target.baseline, connections), name, ADAPTER_GOAL.min);
    }
    pair(find('uws', connections), find('node', connections), 'uws / node', UWS_OVER_NODE_GOAL);
  }
  return result;
}

/** N workers against 1, same adapter and connections: what the extra cores buy, and cost. */
interface Scaling {
  readonly name: string;
  readonly connections: number;
  readonly workers: number;
  /** Requests per second, N workers over 1. */
  readonly throughput: number;
  /** Server CPU per request, N workers over 1: the cost of sharding (the goal is ≤ 1.15). */
  readonly cpuPerRequest: number;
  readonly met: boolean;
}

const SCALING_GOAL = { throughput: 1.0, cpuPerRequest: 1.15 };

function scaling(runs: readonly Run[]): Scaling[] {
  const result: Scaling[] = [];
  const clean = runs.filter((run) => run.problems.length === 0);
  for (const run of clean) {
    if (run.workers === 1) continue;
    const one = clean.find(
      (o) => o.target === run.target && o.connections === run.connections && o.workers === 1,
    );
    if (!one) continue;
    const throughput = run.requestsPerSecond / one.requestsPerSecond;
    const cpuPerRequest = run.serverCpuUsPerRequest / one.serverCpuUsPerRequest;
    const met = throughput >= SCALING_GOAL.throughput && cpuPerRequest <= SCALING_GOAL.cpuPerRequest;
    result.push({
      name: run.target,
      connections: run.connections,
      workers: run.workers,
      throughput,
      cpuPerRequest,
      met,
    });
  }
  return result;
}

function printScaling(list: readonly Scaling[]): void {
  if (list.length === 0) return;
  const rows = list.map((s) => [
    `${s.name} ×${s.workers} / ×1`,
    String(s.connections),
    `${fixed(s.throughput, 2)}×`,
    `${fixed(s.cpuPerRequest, 2)}×`,
    s.met ? 'met' : 'NOT met',
  ]);
  const goal = `goals: req/s ≥ ${fixed(SCALING_GOAL.throughput, 2)}×, CPU/req ≤ ${fixed(SCALING_GOAL.cpuPerRequest, 2)}×`;
  console.log('');
  console.log(table(['workers', 'conns', 'req/s', 'CPU µs/req', goal], rows));
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

const fixed = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function printRuns(runs: readonly Run[], ratioList: readonly Ratio[]): void {
  const rows = runs.map((run) => [
    run.target,
    String(run.connections),
    String(run.workers),
    fixed(run.requestsPerSecond),
    fixed(run.p99Ms, 2),
    fixed(run.serverCpuUsPerRequest, 1),
    fixed(run.serverCpuPercent),
    fixed(run.clientCpuPercent),
    `${fixed(run.rssMb, 1)} / ${fixed(run.peakRssMb, 1)}`,
    run.problems.length === 0 ? `ok (${fixed(run.counted)})` : run.problems.join('; '),
  ]);
  const header = ['target', 'conns', 'workers', 'req/s', 'p99 ms', 'CPU µs/req', 'server CPU %'];
  console.log(table([...header, 'client CPU %', 'RSS / peak MB', 'check (events counted)'], rows));
  console.log('');
  const ratioRows = ratioList.map((ratio) => [
    ratio.name,
    String(ratio.connections),
    `${fixed(ratio.throughput, 2)}×`,
    `${fixed(ratio.efficiency, 2)}×`,
    `≥ ${fixed(ratio.goal, 1)}×`,
    `${ratio.met ? 'met' : 'NOT met'} (on ${ratio.judgedOn})`,
  ]);
  console.log(table(['ratio', 'conns', 'req/s', 'CPU/req (inverse)', 'goal', ''], ratioRows));
  const starved = runs.filter((run) => run.serverCpuPercent < SATURATED_PERCENT).map((run) => run.target);
  if (starved.length > 0) {
    console.log(
      `\nNot saturated (server CPU < ${SATURATED_PERCENT} %): ${[...new Set(starved)].join(', ')}. ` +
        'Their req/s says more about what else ran on the machine than about the servers, so ' +
        'their ratios are judged on CPU µs/req.',
    );
  }
  for (const run of runs) {
    if (!run.hotSpots) continue;
    console.log(`\nCPU profile of ${run.target} at ${run.connections} connections (self time):`);
    for (const spot of run.hotSpots) console.log(`  ${fixed(spot.percent, 1).padStart(5)}%  ${spot.name}`);
  }
}

type Client = 'wrk' | 'go';

interface RssRun {
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

/**
 * The `/stats` a fresh server must show after events 0..n-1 of the challenge pattern, whose
 * values are i % 1000 + offset (wrk's script sends offset 0, the official client 0.5).
 */
function expectedStats(
  n: number,
  offset: number,
): { totalRequests: number; uniqueUsers: number; sum: number } {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (i % 1000) + offset;
  return { totalRequests: n, uniqueUsers: Math.min(n, 75_000), sum };
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
    script: SCRIPT,
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

async function measureRss(
  target: Target,
  client: Client,
  options: Options,
  goClient: string | undefined,
): Promise<RssRun> {
  const server = await startServer(await program(target, options), {
    cpu: options.serverCpu,
    root: ROOT,
    profileDir: undefined,
  });
  try {
    const cpuBefore = cpuSeconds(server.pid);
    const load = await drive(client, server.url, options, goClient);
    const serverCpu = cpuSeconds(server.pid) - cpuBefore;
    const { rss, peak } = memory(server.pid);
    const stats = JSON.parse((await getText(`${server.url}/stats`)).body) as Record<string, unknown>;
    const problems = [...load.problems];
    for (const [field, value] of Object.entries(expectedStats(options.requests, client === 'go' ? 0.5 : 0))) {
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

function printRss(runs: readonly RssRun[]): void {
  const rows = runs.map((run) => {
    const goal = run.goalMb === undefined ? '' : `≤ ${run.goalMb}`;
    const verdict = run.goalMb === undefined ? '' : run.rssMb <= run.goalMb ? 'met' : 'NOT met';
    const check = run.problems.length === 0 ? 'ok' : run.problems.join('; ');
    const load = [fixed(run.seconds, 1), fixed(run.requestsPerSecond), fixed(run.serverCpuUsPerRequest, 1)];
    const client = fixed(run.clientCpuPercent);
    const memory = [fixed(run.rssMb, 1), fixed(run.peakRssMb, 1), goal, verdict, check];
    return [run.target, run.client, fixed(run.requests), ...load, client, ...memory];
  });
  const header = ['target', 'client', 'events', 'seconds', 'req/s', 'CPU µs/req', 'client CPU %'];
  console.log(table([...header, 'RSS MB after', 'peak MB', 'goal MB', '', 'check'], rows));
}

interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly node: string;
  /** One-minute load average: how busy the machine was, other work included. */
  readonly loadAverage: string;
}

function machine(): Machine {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverage: loadavg()[0]?.toFixed(2) ?? '',
  };
}

async function main(): Promise<void> {
  if (!hasWrk()) {
    console.error(
      'wrk is not installed. On Debian/Ubuntu: apt-get install -y wrk (macOS: brew install wrk).',
    );
    process.exit(1);
  }
  if (availableParallelism() < 2) {
    console.error('bench:http pins the server and wrk to different CPUs and needs at least two.');
    process.exit(1);
  }
  const options = parseOptions(process.argv.slice(2));
  const log = (line: string): void => {
    if (!options.json) console.log(line);
    else console.error(line);
  };
  const present = options.targets.filter((target) => {
    if (existsSync(join(ROOT, target.entry))) return true;
    log(`skipping ${target.name}: ${target.entry} does not exist yet`);
    return false;
  });
  const before = machine();
  log(
    `machine: ${JSON.stringify(before)}; server on CPU ${options.serverCpu}, client on CPU ${options.clientCpu}`,
  );

  if (options.rss1m) {
    const goClient = options.clients.includes('go') ? buildGoClient(ROOT, bundles) : undefined;
    const runs: RssRun[] = [];
    for (const target of present) {
      for (const client of options.clients) {
        log(`${target.name}: ${fixed(options.requests)} events from ${client}...`);
        runs.push(await measureRss(target, client, options, goClient));
      }
    }
    if (options.json) console.log(JSON.stringify({ machine: before, rss: runs }, null, 2));
    else printRss(runs);
    return;
  }

  const rounds: Run[][] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const runs: Run[] = [];
    for (const connections of options.connections) {
      for (const target of present) {
        // Baselines are single-threaded servers; WORKERS means nothing to them.
        for (const workers of target.baseline === undefined ? [1] : options.workers) {
          const of = options.rounds > 1 ? ` (round ${round} of ${options.rounds})` : '';
          const on = workers > 1 ? `, ${workers} workers` : '';
          log(`${target.name}: ${connections} connections${on}, ${options.durationSeconds} s${of}...`);
          try {
            runs.push(await measure(target, connections, workers, options));
          } catch (error) {
            // One failed run should not throw away the others; its ratios are simply missing.
            log(`${target.name} at ${connections} connections failed: ${(error as Error).message}`);
          }
        }
      }
    }
    rounds.push(runs);
  }
  const runs = rounds.length === 1 ? (rounds[0] ?? []) : medians(rounds);
  const ratioList = ratios(runs);
  const scalingList = scaling(runs);
  if (options.json) {
    const report = {
      machine: before,
      after: machine(),
      options,
      runs,
      ratios: ratioList,
      scaling: scalingList,
    };
    console.log(JSON.stringify(report, null, 2));
  } else {
    printRuns(runs, ratioList);
    printScaling(scalingList);
    log(`\nload average at the end: ${machine().loadAverage}`);
  }
}

// Ctrl-C or a kill still runs the 'exit' handlers that stop servers and wrk.
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
