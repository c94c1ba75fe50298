/**
 * What every adapter's server shares: its options, the handle it returns, and the
 * process wiring the examples use (environment in, graceful shutdown on a signal).
 */
import { parseArgs } from 'node:util';
import { createStats, type EventStore, type Snapshot } from '@1mrc/core';
import { type Contract, type ContractOptions, createContract } from '@1mrc/core/http';
import { observedContract } from './metrics/observed-contract.js';
import { observedStore } from './metrics/observed-store.js';
import { createServerMetrics, type ServerMetrics } from './metrics/server-metrics.js';
import { settleable } from './settleable.js';
import { workerCount } from './workers.js';

export type { ProcessMetrics } from './metrics/process-metrics.js';
export {
  createServerMetrics,
  type ServerMetrics,
  type ServerMetricsOptions,
} from './metrics/server-metrics.js';

/**
 * The listen backlog of the node and fastify servers (the kernel caps it at
 * `net.core.somaxconn`, 4096 on current Linux). Node's default, 511, is less than the
 * challenge's 1,000 connections opened at once: the kernel then drops the handshakes past it,
 * and each dropped client waits out SYN retransmissions (1, 2, 4, 8, 16 s), so a few requests
 * took 31 s and timed out on Node 22 and 24 here (`TcpExtListenOverflows` counted the drops).
 * uWebSockets.js sets its own (512 in uSockets) and accepts fast enough that it did not matter.
 */
export const LISTEN_BACKLOG = 4096;

export interface ServeOptions extends Omit<ContractOptions, 'store'> {
  /** Default 8080 (what the official challenge clients use); 0 picks a free port. */
  readonly port?: number;
  /** Default `127.0.0.1`; bind to all interfaces only by asking for `0.0.0.0`. */
  readonly host?: string;
  /** The store to feed; default a new `createStats({ maxUsers })`. Not with `workers` above 1. */
  readonly store?: EventStore;
  /**
   * Most distinct users the default store holds (a positive safe integer); past it a new
   * user's event is refused with 507 `TOO_MANY_USERS`. Default: no limit but memory. Not with
   * `store`. With `workers`, each worker's shard applies it on its own (see @1mrc/core README).
   */
  readonly maxUsers?: number;
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
  /**
   * `GET /metrics` in the Prometheus text format (see docs/http-api.md). Default `true`; `false`
   * turns it off (the route is then 404) and removes every cost of counting. A `ServerMetrics`
   * from `createServerMetrics()` serves that registry (one process only, not with `workers`).
   */
  readonly metrics?: boolean | ServerMetrics;
  /**
   * When set, `GET /metrics` needs `Authorization: Bearer <metricsToken>`; give it the reset
   * token's value to use that one. Unset: /metrics is open (bind to loopback, or set a token).
   */
  readonly metricsToken?: string;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly store: EventStore;
  /** Stops accepting, lets in-flight requests finish, then resolves. */
  close(): Promise<void>;
  /**
   * Settles once the server has stopped: resolves after `close()` has drained it; rejects with
   * the error that stopped it on its own (on several workers: a worker lost with counts it had
   * acknowledged). It never exits the process; what to do is the caller's choice. Nothing needs
   * to listen: a rejection here is not an unhandled rejection.
   */
  readonly closed: Promise<void>;
}

export type Serve = (options?: ServeOptions) => Promise<RunningServer>;

export type Timeouts = Pick<ServeOptions, 'headersTimeout' | 'requestTimeout' | 'keepAliveTimeout'>;

/** One process's server, as every adapter starts it: defaults applied, options checked. */
export interface ServerSetup {
  readonly port: number;
  readonly host: string;
  readonly store: EventStore;
  readonly timeouts: Timeouts;
  /** What `createContract` takes; its store counts for the metrics when they are on. */
  readonly contract: ContractOptions;
  /** Undefined with `metrics: false`. */
  readonly metrics: ServerMetrics | undefined;
  readonly metricsToken: string | undefined;
}

/** Applies the defaults every adapter shares: port 8080, loopback only, a fresh in-memory store. */
export function serverSetup(options: ServeOptions): ServerSetup {
  const {
    port = 8080,
    host = '127.0.0.1',
    store: given,
    maxUsers,
    workers: _workers,
    headersTimeout,
    requestTimeout,
    keepAliveTimeout,
    metrics: metricsOption = true,
    metricsToken,
    ...limits
  } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError(`Expected port to be an integer from 0 to 65535, got ${String(port)}`);
  }
  if (typeof host !== 'string' || host === '') {
    throw new TypeError(`Expected host to be a non-empty string, got ${String(host)}`);
  }
  if (given !== undefined && maxUsers !== undefined) {
    throw new TypeError(
      `maxUsers (${String(maxUsers)}) applies to the default store; a given store sets its own limits`,
    );
  }
  const store = given ?? createStats({ maxUsers });
  if (typeof metricsOption !== 'boolean' && typeof metricsOption?.exposition !== 'function') {
    throw new TypeError(`Expected metrics to be a boolean or a ServerMetrics, got ${String(metricsOption)}`);
  }
  if (metricsToken !== undefined && (typeof metricsToken !== 'string' || metricsToken === '')) {
    throw new TypeError(`Expected metricsToken to be a non-empty string, got '${String(metricsToken)}'`);
  }
  const metrics = metricsOption === true ? createServerMetrics() : metricsOption || undefined;
  return {
    port,
    host,
    store,
    timeouts: { headersTimeout, requestTimeout, keepAliveTimeout },
    contract: { ...limits, store: metrics ? observedStore(store, metrics) : store },
    metrics,
    metricsToken,
  };
}

/** The contract an adapter serves: `createContract`, with `/metrics` and its counting when on. */
export function serverContract(setup: ServerSetup): Contract {
  const contract = createContract(setup.contract);
  const { metrics, metricsToken } = setup;
  return metrics ? observedContract(contract, metrics, { metricsToken }) : contract;
}

/** The handle `serve` returns; `drain` runs once, however often `close` is called. */
export function runningServer(
  setup: Pick<ServerSetup, 'host' | 'store'> & Partial<Pick<ServerSetup, 'metrics'>>,
  port: number,
  drain: () => Promise<void>,
): RunningServer {
  const { host, store } = setup;
  setup.metrics?.listening(port);
  let closing: Promise<void> | undefined;
  const stopped = settleable();
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    store,
    close: () => {
      closing ??= drain().then(stopped.resolve, (error: unknown) => {
        stopped.reject(error);
        throw error;
      });
      return closing;
    },
    closed: stopped.promise,
  };
}

/**
 * Reads `PORT`, `HOST`, `RESET_TOKEN`, `WORKERS` (a positive integer or `auto`), `MAX_USERS`,
 * `METRICS` (`on` or `off`) and `METRICS_TOKEN`.
 */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): ServeOptions {
  const port = env['PORT'] === undefined ? undefined : Number(env['PORT']);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
    throw new TypeError(`Expected PORT to be a port number, got ${env['PORT']}`);
  }
  const workers = env['WORKERS'] ? parseWorkers('WORKERS', env['WORKERS']) : undefined;
  const maxUsersText = env['MAX_USERS'];
  if (maxUsersText && !(/^[1-9][0-9]*$/.test(maxUsersText) && Number.isSafeInteger(Number(maxUsersText)))) {
    throw new TypeError(`Expected MAX_USERS to be a positive integer, got ${maxUsersText}`);
  }
  const metrics = env['METRICS'] ? parseSwitch('METRICS', env['METRICS']) : undefined;
  return {
    ...(metrics === undefined ? {} : { metrics }),
    ...(env['METRICS_TOKEN'] ? { metricsToken: env['METRICS_TOKEN'] } : {}),
    ...(port === undefined ? {} : { port }),
    ...(maxUsersText ? { maxUsers: Number(maxUsersText) } : {}),
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

function parseSwitch(name: string, text: string): boolean {
  if (text === 'on') return true;
  if (text === 'off') return false;
  throw new TypeError(`Expected ${name} to be on or off, got ${text}`);
}

function parseWorkers(name: string, text: string): number | 'auto' {
  if (text === 'auto') return 'auto';
  if (!/^[1-9][0-9]*$/.test(text))
    throw new TypeError(`Expected ${name} to be a positive integer or auto, got ${text}`);
  return Number(text);
}

/**
 * Starts a server from the environment and the command line (`--workers`, over `WORKERS`) and
 * runs it until SIGINT or SIGTERM; then it stops accepting, finishes in-flight requests and
 * prints the final snapshot as one JSON line (merged over every worker), then closes the store.
 *
 * Resolves, once the server has stopped, with the exit code the process should end with: 0
 * after a signal drained it, 1 when it stopped on its own error (printed to stderr). It never
 * exits the process; an example does, with `process.exitCode = await runUntilSignal(…)`.
 * Rejects when the server cannot start.
 */
export async function runUntilSignal(
  name: string,
  serve: Serve,
  options: ServeOptions = {},
): Promise<number> {
  const merged = { ...optionsFromEnv(), ...optionsFromArgs(), ...options };
  const server = await serve(merged);
  let onSignal!: (signal: NodeJS.Signals) => void;
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = resolve;
  });
  // Kept until the end: a second signal while draining (Ctrl-C twice) must not cut the drain short.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Announced only once a signal drains: a supervisor may stop the server as soon as it reads this.
  // With `auto`, the count it resolved to (one per core), so the operator sees what runs.
  const workers = merged.workers === undefined ? '' : ` on ${workerCount(merged.workers)} workers`;
  console.log(
    `${name} listening on ${server.url}${merged.workers === 'auto' ? `${workers} (auto)` : workers}`,
  );
  try {
    const signal = await Promise.race([signalled, server.closed.then(() => undefined)]);
    if (signal !== undefined) {
      console.log(`${signal}: draining`);
      await server.close();
    }
    const snapshot: Snapshot = await server.store.snapshot();
    console.log(`final ${JSON.stringify(snapshot)}`);
    return 0;
  } catch (error) {
    console.error(`${name} stopped: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    // Stopped: a signal from now on ends the process the default way.
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // The store was handed to this server to run with: its connections (Redis) would keep the
    // event loop, and so the process, alive.
    try {
      await server.store.close?.();
    } catch (error) {
      console.error(
        `${name}: closing the store failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
