/** The options of one run, checked and resolved before anything is started or sent. */
import { positiveInteger } from '@1mrc/core';
import { DEFAULT_ENGINE, ENGINES, type EngineName } from './engines.js';
import { type Expected, expectedFor } from './expected.js';
import { HARD_MAX_EVENTS } from './hard-pattern.js';
import { createPattern, type PatternName } from './pattern.js';
import type { PortChoice } from './server-process.js';
import type { LoadSpec } from './threads.js';

export interface ChallengeOptions {
  /** Use servers that are already running; several share one store and get the connections round-robin. */
  readonly url?: string | readonly string[];
  /** Start this server (a shell command, or an argv) for the run and stop it after. */
  readonly command?: string | readonly string[];
  /** What the report calls the target. Default: the command, or the URL(s). */
  readonly name?: string;
  /** Where the started server listens (see `PortChoice`). Default `'auto'`. */
  readonly port?: PortChoice;
  /** More environment for the started server (`WORKERS`, `STORE`, …). */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory of the started server. Default: the client's. */
  readonly cwd?: string;
  /** The started server must print `final {snapshot}` on SIGTERM (our examples do). Default false. */
  readonly expectFinal?: boolean;
  /** How long the started server may take to answer /health. Default 60,000 ms. */
  readonly startTimeoutMs?: number;
  /** How requests are sent: `raw` (node:net, pre-built requests) or `undici`. Default `raw`. */
  readonly engine?: EngineName;
  /** Events to send. Default 1,000,000 (or rate × duration). */
  readonly requests?: number;
  /** Open model: send on a fixed schedule of this many requests per second (raw engine). */
  readonly rate?: number;
  /** Open model: send for this long (ms) instead of a number of requests; needs `rate`. */
  readonly durationMs?: number;
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
  /** Called about ten times a second while sending. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Called with a line about each step (starting the server, …). */
  readonly onStatus?: (message: string) => void;
}

export interface ServerToStart {
  readonly command: string | readonly string[];
  readonly port: PortChoice;
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string | undefined;
  readonly timeoutMs: number;
}

export interface Plan {
  readonly target: string;
  /** The servers, when they are already running. */
  readonly urls?: readonly string[];
  readonly server?: ServerToStart;
  readonly expectFinal: boolean;
  /** Everything but the servers' URLs and the userId prefix, known once /stats was read. */
  readonly spec: Omit<LoadSpec, 'origins' | 'userPrefix'>;
  readonly threads: number;
  readonly expected: Expected;
}

function origin(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`Expected url to be an http:// URL, got ${text}`);
  }
  if (url.protocol !== 'http:') throw new TypeError(`Expected url to be an http:// URL, got ${text}`);
  return url.origin;
}

function targetOf(options: ChallengeOptions): Pick<Plan, 'target' | 'urls' | 'server'> {
  if ((options.url === undefined) === (options.command === undefined)) {
    throw new TypeError('Expected exactly one of url and command');
  }
  if (options.url !== undefined) {
    const given = typeof options.url === 'string' ? options.url.split(',') : options.url;
    const urls = given.map((u) => origin(u.trim()));
    if (urls.length === 0) throw new TypeError('Expected at least one url');
    for (const key of ['port', 'env', 'cwd', 'expectFinal'] as const) {
      if (options[key] !== undefined) {
        throw new TypeError(`Expected no ${key} with url: it applies to a server this run starts`);
      }
    }
    return { target: options.name ?? urls.join(','), urls };
  }
  const command = options.command as string | readonly string[];
  const label = typeof command === 'string' ? command : command.join(' ');
  return {
    target: options.name ?? label,
    server: {
      command,
      port: options.port ?? 'auto',
      env: options.env ?? {},
      cwd: options.cwd,
      timeoutMs: positiveInteger('startTimeoutMs', options.startTimeoutMs, 60_000),
    },
  };
}

function rateOf(options: ChallengeOptions): { rate?: number; events?: number } {
  const { rate, durationMs } = options;
  if (rate === undefined) {
    if (durationMs !== undefined) throw new TypeError('Expected a rate with durationMs');
    return {};
  }
  if (!(Number.isFinite(rate) && rate > 0)) {
    throw new TypeError(`Expected rate to be a positive number of requests per second, got ${String(rate)}`);
  }
  if ((options.engine ?? DEFAULT_ENGINE) !== 'raw') {
    throw new TypeError(`Expected the raw engine with a rate, got ${String(options.engine)}`);
  }
  if (durationMs === undefined) return { rate };
  if (options.requests !== undefined) throw new TypeError('Expected either requests or durationMs, not both');
  if (!(Number.isFinite(durationMs) && durationMs > 0)) {
    throw new TypeError(`Expected durationMs to be a positive number, got ${String(durationMs)}`);
  }
  const events = Math.max(1, Math.round((rate * durationMs) / 1000));
  if (options.batch !== undefined) return { rate, events: events * options.batch };
  return { rate, events };
}

/** Checks every option and works out what the run sends and what /stats must say after it. */
export function planChallenge(options: ChallengeOptions): Plan {
  const where = targetOf(options);
  const timed = rateOf(options);
  const events = timed.events ?? positiveInteger('requests', options.requests, 1_000_000);
  // Progress counters are Int32Array slots (Atomics work on integer arrays only).
  if (events > 2 ** 31 - 1) throw new TypeError(`Expected requests to be at most 2^31 - 1, got ${events}`);
  const patternName = options.pattern ?? 'seed';
  if (patternName === 'hard' && events > HARD_MAX_EVENTS) {
    throw new TypeError(`Expected at most ${HARD_MAX_EVENTS} requests with the hard pattern, got ${events}`);
  }
  const pattern = createPattern(patternName, positiveInteger('users', options.users, 75_000), { events });
  const batch = options.batch === undefined ? undefined : positiveInteger('batch', options.batch, 1);
  const engine = options.engine ?? DEFAULT_ENGINE;
  if (!ENGINES.includes(engine)) {
    throw new TypeError(`Expected engine to be one of ${ENGINES.join(', ')}, got ${String(engine)}`);
  }
  const spec = {
    engine,
    pattern: pattern.name,
    users: pattern.users,
    events,
    batch,
    rate: timed.rate,
    connections: positiveInteger('concurrency', options.concurrency, 1000),
    pipelining: positiveInteger('pipelining', options.pipelining, 1),
    timeoutMs: positiveInteger('timeoutMs', options.timeoutMs, 30_000),
    maxErrors: positiveInteger('maxErrors', options.maxErrors, 1000),
  };
  const threads = positiveInteger('clientThreads', options.clientThreads, 1);
  if (threads > spec.connections) {
    throw new TypeError(
      `Expected clientThreads (${threads}) to be at most concurrency (${spec.connections})`,
    );
  }
  if (where.urls && where.urls.length > spec.connections) {
    throw new TypeError(
      `Expected at most as many urls (${where.urls.length}) as connections (${spec.connections})`,
    );
  }
  return {
    ...where,
    expectFinal: options.expectFinal ?? false,
    spec,
    threads,
    expected: expectedFor(pattern, events),
  };
}
