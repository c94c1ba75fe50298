/** Runs wrk (pinned to one CPU) with bench/wrk/event.lua and reads its report. */
import { spawnSync } from 'node:child_process';
import { type PinnedRun, runPinned } from './pinned.js';

export interface WrkOptions {
  readonly url: string;
  readonly script: string;
  readonly cpu: number;
  readonly threads: number;
  readonly connections: number;
  readonly durationSeconds: number;
  /** Send exactly this many events, then stop (durationSeconds becomes a safety limit). */
  readonly cap?: number | undefined;
}

export interface WrkResult {
  /** Answers wrk received. */
  readonly completed: number;
  /** Requests the script built: an upper bound on what the server may have counted. */
  readonly issued: number;
  /** As wrk reports it: completed over its own measured run time. */
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  /** Connect, read and write errors. */
  readonly socketErrors: number;
  /** Answers slower than wrk's --timeout (10 s here): counted late, not lost. */
  readonly timeouts: number;
  /** Wall-clock seconds from starting wrk to its exit (or to the last answer, when capped). */
  readonly seconds: number;
  /** CPU seconds wrk used (user + system). */
  readonly clientCpuSeconds: number;
  readonly output: string;
}

export function hasWrk(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const { threads, connections, cap } = options;
  const duration = cap === undefined ? options.durationSeconds : Math.max(options.durationSeconds, 3600);
  const argv = [
    ...[
      'wrk',
      `-t${threads}`,
      `-c${connections}`,
      `-d${duration}s`,
      '--timeout',
      '10s',
      '--latency',
      '-s',
      options.script,
    ],
    ...[options.url, '--', String(threads), ...(cap === undefined ? [] : [String(cap)])],
  ];
  // Every thread prints "capped" when its quota is answered; threads with a zero quota never do.
  const cappedThreads = cap === undefined ? 0 : Math.min(threads, cap);
  const wrk = runPinned(options.cpu, argv, (stdout) => {
    if (cappedThreads > 0 && (stdout.match(/^capped$/gm)?.length ?? 0) === cappedThreads) wrk.finish();
  });
  const run = await wrk.done;
  if (run.code !== 0) throw new Error(`wrk exited with ${run.code}:\n${run.stdout}\n${run.stderr}`);
  return parseReport(run);
}

export function parseReport({ stdout, seconds, cpuSeconds }: PinnedRun): WrkResult {
  const number = (pattern: RegExp, what: string): number => {
    const match = pattern.exec(stdout);
    if (!match) throw new Error(`wrk's report has no ${what}:\n${stdout}`);
    return Number(match[1]);
  };
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const completed = number(/(\d+) requests in /, 'request count');
  return {
    completed,
    issued: number(/^issued (\d+)$/m, '"issued" line (from event.lua)'),
    requestsPerSecond: number(/^Requests\/sec:\s+([\d.]+)$/m, 'Requests/sec'),
    p50Ms: latencyMs(stdout, '50%'),
    p99Ms: latencyMs(stdout, '99%'),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0),
    socketErrors: errors ? Number(errors[1]) + Number(errors[2]) + Number(errors[3]) : 0,
    timeouts: Number(errors?.[4] ?? 0),
    seconds,
    clientCpuSeconds: cpuSeconds,
    output: stdout,
  };
}

const UNIT_MS: Record<string, number> = { us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

function latencyMs(report: string, percentile: string): number {
  const match = new RegExp(`^\\s+${percentile}\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm').exec(report);
  const scale = match ? UNIT_MS[match[2] as string] : undefined;
  if (!match || scale === undefined) throw new Error(`wrk's report has no ${percentile} latency:\n${report}`);
  return Number(match[1]) * scale;
}
