#!/usr/bin/env node
/**
 * `1mrc-challenge`: runs the challenge against servers already running (`--url`) or started for
 * the run (`--command`, several times for a comparison). Exit code 0: every /stats field right
 * and no request failed; 1: the run failed; 2: bad usage.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type ChallengeOptions, type ChallengeReport, runChallenge } from './challenge.js';
import { DEFAULT_ENGINE, ENGINES, type EngineName } from './engines.js';
import { PATTERNS, type PatternName } from './pattern.js';
import { progressReporter } from './progress.js';
import { formatReport, formatTable, writeReports } from './report.js';
import { killServers, type PortChoice } from './server-process.js';

export const HELP = `Usage: 1mrc-challenge (--url <url> | --command "<shell command>") [options]

Sends the One Million Request Challenge's events and proves the server's /stats exactly right.

Target (one of):
  --url <http://host:port>[,<url>…]
                          servers already running (not stopped after); several, sharing one
                          store, get the connections round-robin and must agree on /stats
  --command "<command>"   start this server for the run (with /bin/sh -c), wait until GET /health
                          answers, stop it after (SIGTERM to its process group); give it several
                          times to run each in turn and print a comparison table
  --name <label>          what the report calls the command (once per --command)
  --port <auto|n|output>  auto: a free port, given to the command as PORT and {port} (default);
                          n: that port, given the same way; output: the server picks its port
                          (PORT=0) and the first http://host:port it prints is used
  --env <KEY=VALUE>       more environment for the command; repeatable
  --expect-final          the command must print "final {snapshot}" on SIGTERM, equal to /stats
  --start-timeout <ms>    how long the server may take to answer /health (default 60,000)

Load:
  --requests <n>          events to send (default 1,000,000)
  --rate <req/s>          open model: send on a fixed schedule, latency from each request's
                          send time as scheduled (raw engine); with --requests or --duration
  --duration <time>       with --rate: send for this long (10s, 500ms, 2m) instead of --requests
  --concurrency <n>       connections (default 1,000)
  --pipelining <n>        requests in flight per connection (default 1)
  --users <n>             distinct userIds (default 75,000)
  --pattern <name>        seed: value i % 1000 | official: value i % 1000 + 0.5 |
                          hard: values no float accumulator sums right (default seed)
  --batch <n>             POST /events with n events each instead of POST /event
  --client-threads <n>    worker threads sending requests (default 1)
  --engine <name>         raw: node:net sockets and pre-built requests | undici
                          (default: ${DEFAULT_ENGINE})
  --timeout <ms>          per-request and connect timeout (default 30,000)
  --max-errors <n>        stop starting requests after n failures (default 1,000)

Output:
  --json                  print the report as JSON on stdout (progress goes to stderr)
  --out <dir>             write <timestamp>.json, latest.md and latest.svg there
  -h, --help              show this help

Numbers may be written 1000000, 1_000_000, 1,000,000 or 1e6.`;

export class UsageError extends Error {}

function number(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text.replace(/[_,]/g, ''));
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`--${name} takes a positive number, got "${text}"`);
  }
  return n;
}

function count(name: string, text: string | undefined): number | undefined {
  const n = number(name, text);
  if (n !== undefined && !Number.isSafeInteger(n)) {
    throw new UsageError(`--${name} takes a positive integer, got "${text}"`);
  }
  return n;
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `10s`, `500ms`, `2m`, `1h`, or a number of seconds. */
export function duration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^\s*([\d_.,e+]+)\s*(ms|s|m|h)?\s*$/.exec(text);
  const value = match ? Number((match[1] as string).replace(/[_,]/g, '')) : Number.NaN;
  if (!match || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`--duration takes a time like 10s, 500ms or 2m, got "${text}"`);
  }
  return value * (UNITS[match[2] ?? 's'] as number);
}

function oneOf<T extends string>(
  name: string,
  text: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) {
    throw new UsageError(`--${name} takes one of ${allowed.join(', ')}, got "${text}"`);
  }
  return text as T;
}

function port(text: string | undefined): PortChoice | undefined {
  if (text === undefined || text === 'auto' || text === 'output') return text;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new UsageError(`--port takes auto, output or a port number, got "${text}"`);
  }
  return n;
}

function environment(pairs: readonly string[] | undefined): Record<string, string> | undefined {
  if (pairs === undefined) return undefined;
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw new UsageError(`--env takes KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

/** One run: what `runChallenge` gets, apart from the shared options and callbacks. */
export type Target = Pick<ChallengeOptions, 'url' | 'command' | 'name'>;

export interface Command {
  readonly help: boolean;
  readonly targets: readonly Target[];
  readonly options: ChallengeOptions;
  readonly json: boolean;
  readonly out?: string | undefined;
}

const OPTIONS = {
  url: { type: 'string' },
  command: { type: 'string', multiple: true },
  name: { type: 'string', multiple: true },
  port: { type: 'string' },
  env: { type: 'string', multiple: true },
  'expect-final': { type: 'boolean' },
  'start-timeout': { type: 'string' },
  requests: { type: 'string' },
  rate: { type: 'string' },
  duration: { type: 'string' },
  concurrency: { type: 'string' },
  pipelining: { type: 'string' },
  users: { type: 'string' },
  pattern: { type: 'string' },
  batch: { type: 'string' },
  'client-threads': { type: 'string' },
  engine: { type: 'string' },
  timeout: { type: 'string' },
  'max-errors': { type: 'string' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function targetsOf(values: ReturnType<typeof parse>['values']): Target[] {
  const commands = values.command ?? [];
  const names = values.name ?? [];
  if (values.url !== undefined && commands.length > 0) {
    throw new UsageError('give either --url or --command, not both');
  }
  if (values.url === undefined && commands.length === 0) throw new UsageError('give --url or --command');
  if (names.length > 0 && names.length !== Math.max(commands.length, 1)) {
    throw new UsageError(`give one --name per --command: ${commands.length} commands, ${names.length} names`);
  }
  if (values.url !== undefined) {
    for (const flag of ['port', 'env', 'expect-final', 'start-timeout'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} applies to --command, not to --url`);
    }
    return [{ url: values.url, ...(names[0] ? { name: names[0] } : {}) }];
  }
  return commands.map((command, i) => ({ command, ...(names[i] ? { name: names[i] } : {}) }));
}

export function parseCommand(args: readonly string[]): Command {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { help: true, targets: [], options: {}, json: false };
  const targets = targetsOf(values);
  if (values.duration !== undefined && values.rate === undefined) {
    throw new UsageError('--duration needs --rate');
  }
  if (values.duration !== undefined && values.requests !== undefined) {
    throw new UsageError('give either --requests or --duration, not both');
  }
  const pattern: PatternName | undefined = oneOf('pattern', values.pattern, PATTERNS);
  const engine: EngineName | undefined = oneOf('engine', values.engine, ENGINES);
  const options: ChallengeOptions = Object.fromEntries(
    Object.entries({
      requests: count('requests', values.requests),
      rate: number('rate', values.rate),
      durationMs: duration(values.duration),
      concurrency: count('concurrency', values.concurrency),
      pipelining: count('pipelining', values.pipelining),
      users: count('users', values.users),
      batch: count('batch', values.batch),
      clientThreads: count('client-threads', values['client-threads']),
      timeoutMs: count('timeout', values.timeout),
      maxErrors: count('max-errors', values['max-errors']),
      startTimeoutMs: count('start-timeout', values['start-timeout']),
      port: port(values.port),
      env: environment(values.env),
      expectFinal: values['expect-final'],
      pattern,
      engine,
    }).filter(([, v]) => v !== undefined),
  );
  return { help: false, targets, options, json: values.json ?? false, out: values.out };
}

function parse(args: readonly string[]) {
  return parseArgs({ args: [...args], strict: true, allowPositionals: false, options: OPTIONS });
}

export interface CliSetup {
  /** Replaces the usage text (a wrapper's own options first, then this CLI's). */
  readonly help?: string;
}

/** Runs the CLI on `args`; resolves to the exit code. */
export async function main(args: readonly string[], setup: CliSetup = {}): Promise<number> {
  const help = setup.help ?? HELP;
  let command: Command;
  try {
    command = parseCommand(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${help}\n`);
    return 2;
  }
  if (command.help) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  // Ctrl-C: the servers this run started go with it.
  const onInterrupt = (): void => {
    killServers();
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    return await runTargets(command);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

async function runTargets(command: Command): Promise<number> {
  const reports: ChallengeReport[] = [];
  let aborted = false;
  for (const target of command.targets) {
    const progress = progressReporter();
    try {
      const report = await runChallenge({
        ...command.options,
        ...target,
        onProgress: progress.onProgress,
        onStatus: (message) => {
          progress.stop();
          process.stderr.write(`${message}\n`);
        },
      });
      progress.stop();
      reports.push(report);
      if (!command.json) process.stdout.write(`${formatReport(report)}\n\n`);
    } catch (error) {
      progress.stop();
      if (error instanceof TypeError) {
        process.stderr.write(`${error.message}\n`);
        return 2;
      }
      // A server that does not start fails the run; with several commands the others still run.
      process.stderr.write(`${target.name ?? target.command ?? target.url}: ${(error as Error).message}\n`);
      aborted = true;
    }
  }
  if (command.json)
    process.stdout.write(`${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
  else if (reports.length > 1) process.stdout.write(`${formatTable(reports)}\n`);
  if (command.out !== undefined && reports.length > 0) {
    const files = await writeReports(command.out, reports);
    process.stderr.write(`wrote ${files.join(', ')}\n`);
  }
  return !aborted && reports.every((r) => r.ok) ? 0 : 1;
}

/** Run as a program: directly, or through a bin link (so the path is resolved first). */
function isEntry(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isEntry()) process.exitCode = await main(process.argv.slice(2));
