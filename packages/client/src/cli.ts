/**
 * `pnpm challenge`: runs the challenge against an adapter's example, all of them, or a URL.
 * Exit code 0: every /stats field right and no request failed; 1: the run failed; 2: bad usage.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { type ChallengeOptions, type ChallengeReport, runChallenge } from './challenge.js';
import { DEFAULT_ENGINE, ENGINES, type EngineName } from './engines.js';
import { PATTERNS, type PatternName } from './pattern.js';
import { formatReport, formatTable, writeReports } from './report.js';
import { ADAPTERS, type AdapterName } from './server-process.js';
import { withUwsFallback } from './uws-fallback.js';

const HELP = `Usage: pnpm challenge [options]

Sends the One Million Request Challenge's events and proves the server's /stats exactly right.

Target (one of):
  --adapter <name>        start examples/<name> as a child process: ${ADAPTERS.join(' | ')} | all
                          (default: uws; "all" runs each in turn and writes a comparison)
  --url <http://host:port>  use a server that is already running

Load:
  --requests <n>          events to send (default 1,000,000)
  --concurrency <n>       connections (default 1,000)
  --pipelining <n>        requests in flight per connection (default 1)
  --users <n>             distinct userIds (default 75,000)
  --pattern <name>        seed: value i % 1000 | official: value i % 1000 + 0.5 (default seed)
  --batch <n>             POST /events with n events each instead of POST /event
  --client-threads <n>    worker threads sending requests (default 1)
  --engine <name>         raw: node:net sockets and pre-built requests | undici
                          (default: ${DEFAULT_ENGINE})
  --timeout <ms>          per-request and connect timeout (default 30,000)
  --max-errors <n>        stop starting requests after n failures (default 1,000)

Server (with --adapter):
  --workers <n|auto>      WORKERS for the example: event loops it serves on (default 1)

Output:
  --json                  print the report as JSON on stdout (progress goes to stderr)
  --out <dir>             write <timestamp>.json, latest.md and latest.svg there
                          (default for --adapter all: results)
  -h, --help              show this help

Numbers may be written 1000000, 1_000_000, 1,000,000 or 1e6.`;

class UsageError extends Error {}

function count(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text.replace(/[_,]/g, ''));
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--${name} takes a positive integer, got "${text}"`);
  }
  return n;
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

interface Command {
  readonly help: boolean;
  readonly targets: readonly (AdapterName | { url: string })[];
  readonly options: ChallengeOptions;
  readonly json: boolean;
  readonly out?: string | undefined;
}

export function parseCommand(args: readonly string[]): Command {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { help: true, targets: [], options: {}, json: false };
  if (values.adapter !== undefined && values.url !== undefined) {
    throw new UsageError('give either --adapter or --url, not both');
  }
  const adapter = oneOf('adapter', values.adapter, [...ADAPTERS, 'all'] as const);
  const targets =
    values.url !== undefined ? [{ url: values.url }] : adapter === 'all' ? ADAPTERS : [adapter ?? 'uws'];
  const numbers = {
    requests: count('requests', values.requests),
    concurrency: count('concurrency', values.concurrency),
    pipelining: count('pipelining', values.pipelining),
    users: count('users', values.users),
    batch: count('batch', values.batch),
    clientThreads: count('client-threads', values['client-threads']),
    timeoutMs: count('timeout', values.timeout),
    maxErrors: count('max-errors', values['max-errors']),
  };
  if (values.workers !== undefined && values.url !== undefined) {
    throw new UsageError('--workers applies to a server started with --adapter, not to --url');
  }
  const workers = values.workers === 'auto' ? 'auto' : count('workers', values.workers);
  const pattern: PatternName | undefined = oneOf('pattern', values.pattern, PATTERNS);
  const engine: EngineName | undefined = oneOf('engine', values.engine, ENGINES);
  const options: ChallengeOptions = Object.fromEntries(
    Object.entries({ ...numbers, pattern, engine, workers }).filter(([, v]) => v !== undefined),
  );
  return {
    help: false,
    targets,
    options,
    json: values.json ?? false,
    out: values.out ?? (adapter === 'all' ? 'results' : undefined),
  };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      adapter: { type: 'string' },
      url: { type: 'string' },
      requests: { type: 'string' },
      concurrency: { type: 'string' },
      pipelining: { type: 'string' },
      users: { type: 'string' },
      pattern: { type: 'string' },
      batch: { type: 'string' },
      'client-threads': { type: 'string' },
      engine: { type: 'string' },
      timeout: { type: 'string' },
      'max-errors': { type: 'string' },
      workers: { type: 'string' },
      json: { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

interface Progress {
  onProgress(done: number, total: number): void;
  /** Ends a running bar, so what is printed next goes below it; before the bar, does nothing. */
  stop(): void;
}

/** A bar with the current rate (over the last second) on a terminal; a line every 100,000 otherwise. */
function progressReporter(): Progress {
  const window: { at: number; done: number }[] = [];
  const currentRate = (done: number): number => {
    const at = Date.now();
    window.push({ at, done });
    while (window.length > 2 && at - (window[1] as { at: number }).at >= 1000) window.shift();
    const first = window[0] as { at: number; done: number };
    return at === first.at ? 0 : Math.round(((done - first.done) * 1000) / (at - first.at));
  };
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      format: '  {bar} {percentage}% | {value}/{total} | {rate} req/s | {duration}s',
      stream: process.stderr,
      hideCursor: true,
    });
    let state: 'idle' | 'running' | 'stopped' = 'idle';
    return {
      onProgress(done, total) {
        if (state === 'stopped') return;
        const rate = currentRate(done);
        if (state === 'idle') bar.start(total, done, { rate });
        state = 'running';
        bar.update(done, { rate });
      },
      stop() {
        if (state !== 'running') return;
        bar.stop();
        state = 'stopped';
      },
    };
  }
  let started = 0;
  let printed = 0;
  return {
    onProgress(done, total) {
      if (started === 0) started = Date.now();
      const step = done === total ? total : Math.floor(done / 100_000) * 100_000;
      if (step <= printed) return;
      printed = step;
      const rate = Math.round(done / Math.max((Date.now() - started) / 1000, 1e-3));
      process.stderr.write(`  ${done}/${total} requests (${rate} req/s on average)\n`);
    },
    stop() {},
  };
}

export async function main(args: readonly string[]): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${HELP}\n`);
    return 2;
  }
  if (command.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const named = args.some((arg) => /^--(adapter|url)(=|$)/.test(arg));
  let targets: Command['targets'];
  try {
    const how = !named ? 'default' : command.targets.length > 1 ? 'all' : 'named';
    targets = await withUwsFallback(command.targets, how, (line) => process.stderr.write(`${line}\n`));
  } catch (error) {
    process.stderr.write(`uws: ${(error as Error).message}\n`);
    return 1;
  }
  const reports: ChallengeReport[] = [];
  let aborted = false;
  for (const target of targets) {
    const progress = progressReporter();
    try {
      const report = await runChallenge({
        ...command.options,
        ...(typeof target === 'string' ? { adapter: target } : target),
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
      // A server that does not start fails the run; with --adapter all the others still run.
      process.stderr.write(
        `${typeof target === 'string' ? target : target.url}: ${(error as Error).message}\n`,
      );
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

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
