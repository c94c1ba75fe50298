/**
 * What every adapter's server shares: its options, the handle it returns, and the
 * process wiring the examples use (environment in, graceful shutdown on a signal).
 */
import { parseArgs } from 'node:util';
import { createStats, type EventStore, type Snapshot } from '@1mrc/core';
import type { ContractOptions } from '@1mrc/core/http';
import { workerCount } from './workers.js';

export interface ServeOptions extends Omit<ContractOptions, 'store'> {
  /** Default 8080 (what the official challenge clients use); 0 picks a free port. */
  readonly port?: number;
  /** Default `127.0.0.1`; bind to all interfaces only by asking for `0.0.0.0`. */
  readonly host?: string;
  /** The store to feed; default a new `createStats()`. Not with `workers` above 1. */
  readonly store?: EventStore;
  /**
   * Event loops to serve on, each recording into its own shard, merged exactly for `/stats`
   * (see `@1mrc/server/workers`). `'auto'` is one per core (`os.availableParallelism()`); default 1.
   */
  readonly workers?: number | 'auto';
  /**
   * Milliseconds a client has to send a request's head; past it the connection is closed.
   * Default 20,000. node:http and fastify; uWebSockets.js has one fixed timeout of its own
   * (about 10 s for a whole request, see docs/reliability.md) and ignores the three timeouts.
   */
  readonly headersTimeout?: number;
  /** Milliseconds a client has to send a whole request, body included. Default 60,000. */
  readonly requestTimeout?: number;
  /** Milliseconds an idle keep-alive connection is kept open. Default 30,000. */
  readonly keepAliveTimeout?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly store: EventStore;
  /** Stops accepting, lets in-flight requests finish, then resolves. */
  close(): Promise<void>;
}

export type Serve = (options?: ServeOptions) => Promise<RunningServer>;

export type Timeouts = Pick<ServeOptions, 'headersTimeout' | 'requestTimeout' | 'keepAliveTimeout'>;

/** One process's server, as every adapter starts it: defaults applied, options checked. */
export interface ServerSetup {
  readonly port: number;
  readonly host: string;
  readonly store: EventStore;
  readonly timeouts: Timeouts;
  /** What `createContract` takes. */
  readonly contract: ContractOptions;
}

/** Applies the defaults every adapter shares: port 8080, loopback only, a fresh in-memory store. */
export function serverSetup(options: ServeOptions): ServerSetup {
  const {
    port = 8080,
    host = '127.0.0.1',
    store = createStats(),
    workers: _workers,
    headersTimeout,
    requestTimeout,
    keepAliveTimeout,
    ...limits
  } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError(`Expected port to be an integer from 0 to 65535, got ${String(port)}`);
  }
  if (typeof host !== 'string' || host === '') {
    throw new TypeError(`Expected host to be a non-empty string, got ${String(host)}`);
  }
  return {
    port,
    host,
    store,
    timeouts: { headersTimeout, requestTimeout, keepAliveTimeout },
    contract: { ...limits, store },
  };
}

/** The handle `serve` returns; `drain` runs once, however often `close` is called. */
export function runningServer(
  setup: Pick<ServerSetup, 'host' | 'store'>,
  port: number,
  drain: () => Promise<void>,
): RunningServer {
  const { host, store } = setup;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    store,
    close: () => {
      closed ??= drain();
      return closed;
    },
  };
}

/** Reads `PORT`, `HOST`, `RESET_TOKEN` and `WORKERS` (a positive integer or `auto`). */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): ServeOptions {
  const port = env['PORT'] === undefined ? undefined : Number(env['PORT']);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
    throw new TypeError(`Expected PORT to be a port number, got ${env['PORT']}`);
  }
  const workers = env['WORKERS'] ? parseWorkers('WORKERS', env['WORKERS']) : undefined;
  return {
    ...(port === undefined ? {} : { port }),
    ...(workers === undefined ? {} : { workers }),
    ...(env['HOST'] ? { host: env['HOST'] } : {}),
    ...(env['RESET_TOKEN'] ? { resetToken: env['RESET_TOKEN'] } : {}),
  };
}

/** Reads the command line an example takes: `--workers <n|auto>` (or `--workers=<n|auto>`), nothing else. */
export function optionsFromArgs(args: readonly string[] = process.argv.slice(2)): ServeOptions {
  const { values } = parseArgs({ args: [...args], options: { workers: { type: 'string' } }, strict: true });
  return values.workers === undefined ? {} : { workers: parseWorkers('--workers', values.workers) };
}

function parseWorkers(name: string, text: string): number | 'auto' {
  if (text === 'auto') return 'auto';
  if (!/^[1-9][0-9]*$/.test(text))
    throw new TypeError(`Expected ${name} to be a positive integer or auto, got ${text}`);
  return Number(text);
}

/**
 * Starts a server from the environment and the command line (`--workers`, over `WORKERS`) and
 * runs it until SIGINT or SIGTERM; then it stops accepting, finishes in-flight requests, prints
 * the final snapshot as one JSON line (merged over every worker) and exits 0.
 */
export async function runUntilSignal(name: string, serve: Serve, options: ServeOptions = {}): Promise<void> {
  const merged = { ...optionsFromEnv(), ...optionsFromArgs(), ...options };
  const server = await serve(merged);
  let stopping = false;
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: draining`);
    await server.close();
    const snapshot: Snapshot = await server.store.snapshot();
    console.log(`final ${JSON.stringify(snapshot)}`);
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Announced only once a signal drains: a supervisor may stop the server as soon as it reads this.
  // With `auto`, the count it resolved to (one per core), so the operator sees what runs.
  const workers = merged.workers === undefined ? '' : ` on ${workerCount(merged.workers)} workers`;
  console.log(
    `${name} listening on ${server.url}${merged.workers === 'auto' ? `${workers} (auto)` : workers}`,
  );
}
