/**
 * `serve({ workers: N })` over Node: N event loops, each serving HTTP and recording into its own
 * shard, with this thread as the aggregator of `@1mrc/server/shards`.
 *
 * - `'threads'`: N worker threads in this process, each listening on the same port on its own
 *   (uWebSockets.js sets SO_REUSEPORT on Linux, so the kernel spreads connections over them).
 * - `'cluster'`: N `node:cluster` processes; `node:http` servers in workers share one listening
 *   handle through the primary.
 *
 * A worker that dies before handing over its final counts stops the whole server with a loud
 * error on stderr, and `RunningServer.closed` rejects with it: its acknowledged events are gone,
 * and answering `/stats` without them would be a silent lie. Whether the process then exits is
 * its owner's choice (`runUntilSignal` answers exit code 1); nothing here calls `process.exit`.
 */
import cluster, { type Worker as ClusterWorker } from 'node:cluster';
import { type AddressInfo, createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RunningServer, ServeOptions } from './index.js';
import { lazyRegistry } from './metrics/process-metrics.js';
import { settleable } from './settleable.js';
import {
  type Aggregator,
  createAggregator,
  type PrimaryMessage,
  type PrimaryPort,
  type ShardMessage,
  type ShardOptions,
  sharedStoreSpec,
} from './shards/index.js';

export type WorkerTransport = 'threads' | 'cluster';

/** `workers` as a count: `'auto'` is one per core; undefined is 1. */
export function workerCount(workers: ServeOptions['workers']): number {
  if (workers === undefined) return 1;
  if (workers === 'auto') return availableParallelism();
  if (!Number.isSafeInteger(workers) || workers < 1) {
    throw new TypeError(`Expected workers to be a positive integer or 'auto', got ${String(workers)}`);
  }
  return workers;
}

/** What the worker entry needs to find the adapter; `workerData` or, for cluster, the env. */
export interface ShardEntryData {
  /** URL of a module exporting the adapter's `serve`. */
  readonly adapter: string;
}

export const ADAPTER_ENV = 'ONEMRC_SHARD_ADAPTER';

/** One running worker, as the transport sees it. */
interface Spawned {
  readonly port: PrimaryPort;
  /** Settles when it has exited. A worker exits on its own once it has handed over. */
  readonly exited: Promise<void>;
  /** Last resort for a worker that does not exit when asked to close. */
  kill(): void;
}

/** How long a worker may take to drain and exit when the server stops on an error. */
const STOP_TIMEOUT = 3000;

/**
 * Starts `count` workers that each run the single-process `serve` exported by `adapter` (a
 * module URL) with a shard store, and returns the primary's handle: its `store.snapshot()`
 * merges every worker; `close()` drains them all and merges their final counts.
 */
export async function serveWorkers(
  transport: WorkerTransport,
  adapter: string,
  options: ServeOptions,
): Promise<RunningServer> {
  const { workers, store, onError, metrics = true, ...rest } = options;
  const count = workerCount(workers);
  // A shared store (one with a spec, as Redis's) is opened by each worker on its own.
  const storeSpec = sharedStoreSpec(store);
  if (store !== undefined && storeSpec === undefined) {
    throw new TypeError(
      'Expected no store with workers (each worker records into its own shard), or a shared store with a spec',
    );
  }
  if (onError !== undefined) {
    // A function cannot be sent to another thread or process; each worker logs to stderr.
    throw new TypeError('Expected no onError with workers: each worker reports failures on stderr');
  }
  if (typeof metrics !== 'boolean') {
    throw new TypeError(
      'Expected metrics to be true or false with workers: each worker keeps its own, summed by the primary',
    );
  }
  const shardOptions: ShardOptions = { ...rest, metrics, ...(storeSpec ? { storeSpec } : {}) };
  // The primary's process: with threads, the only one, so the workers leave these to it. Loaded
  // with prom-client at the first scrape, as on every server (metrics/server-metrics.ts).
  const own = lazyRegistry('basic', (Registry) => new Registry());
  const ownMetrics = async (): Promise<readonly object[]> => (await own()).getMetricsAsJSON();
  const host = shardOptions.host ?? '127.0.0.1';
  const spawned: Spawned[] = [];
  const stopped = settleable();
  let started = false;
  const aggregator: Aggregator = createAggregator({
    ...(metrics ? { ownMetrics } : {}),
    onFatal: (error) => {
      // Before start-up completes, `serve` rejects with the error instead.
      if (!started) return;
      console.error(`\n@1mrc: STOPPING THE SERVER: ${error.message}\n`);
      void stopAll(spawned).finally(() => stopped.reject(error));
    },
  });
  const spawn = transport === 'threads' ? spawnThread : spawnProcess;
  const startAll = async (port: number | undefined): Promise<number> => {
    const ports = await Promise.all(
      Array.from({ length: count }, (_, i) => {
        const worker = spawn(adapter, aggregator);
        spawned.push(worker);
        const name = `worker ${i + 1} of ${count}`;
        return aggregator.start(
          worker.port,
          port === undefined ? shardOptions : { ...shardOptions, port },
          name,
        );
      }),
    );
    return ports[0]!;
  };

  let port: number;
  try {
    // Port 0 would give each thread its own port: uWebSockets.js shares a port (SO_REUSEPORT)
    // only when asked for a given one. Cluster workers share one handle, port 0 included, but
    // node:cluster keys that handle by address and port as asked: the workers of a second server
    // on port 0 in the same process would join the first one's handle and serve its port.
    const wanted = shardOptions.port;
    port = await startAll(wanted === 0 ? await freePort(host) : wanted);
  } catch (error) {
    await stopAll(spawned);
    throw error;
  }
  started = true;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    store: store ?? aggregator.store,
    close: () =>
      (closing ??= aggregator.close().then(async () => {
        await Promise.all(spawned.map((worker) => worker.exited));
        stopped.resolve();
      })),
    closed: stopped.promise,
  };
}

/** Asks every worker to drain and exit; kills those that have not within `STOP_TIMEOUT`. */
async function stopAll(spawned: readonly Spawned[]): Promise<void> {
  for (const worker of spawned) worker.port.postMessage({ kind: 'close' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), STOP_TIMEOUT);
  });
  const all = Promise.all(spawned.map((worker) => worker.exited));
  if ((await Promise.race([all, late])) === 'late') {
    for (const worker of spawned) worker.kill();
    await all;
  }
  clearTimeout(timer);
}

/**
 * A port that is free now. Another process may take it before the workers bind it; they then
 * fail to start and `serve` rejects, as a single server would on a port in use.
 */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * From source (`.ts`), workers start through shard-ts.mjs, which registers tsx, with the
 * `source` condition; nothing else of this process's flags (a test runner's) is passed on.
 */
function shardEntry(): { entry: string; execArgv: string[] | undefined } {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(fromSource ? './shard-ts.mjs' : './shard-entry.js', import.meta.url));
  return { entry, execArgv: fromSource ? ['--conditions=source'] : undefined };
}

function spawnThread(adapter: string, aggregator: Aggregator): Spawned {
  const { entry, execArgv } = shardEntry();
  const data: ShardEntryData = { adapter };
  const worker = new Worker(entry, { workerData: data, ...(execArgv ? { execArgv } : {}) });
  const { threadId } = worker;
  const port: PrimaryPort = {
    postMessage: (message: PrimaryMessage) => worker.postMessage(message),
    onMessage: (listener) => worker.on('message', (message: ShardMessage) => listener(message)),
  };
  let crash = '';
  worker.on('error', (error) => {
    crash = ` (${error.message})`;
  });
  const exited = new Promise<void>((resolve) => {
    worker.on('exit', (code) => {
      aggregator.exited(port, `(thread ${threadId}) exited with code ${code}${crash}`);
      resolve();
    });
  });
  return { port, exited, kill: () => void worker.terminate() };
}

function spawnProcess(adapter: string, aggregator: Aggregator): Spawned {
  const { entry, execArgv } = shardEntry();
  cluster.setupPrimary({ exec: entry, ...(execArgv ? { execArgv } : {}), args: [] });
  const worker: ClusterWorker = cluster.fork({ [ADAPTER_ENV]: adapter });
  const port: PrimaryPort = {
    postMessage: (message: PrimaryMessage) => {
      if (worker.isConnected()) worker.send(message);
    },
    onMessage: (listener) => worker.on('message', (message: ShardMessage) => listener(message)),
  };
  // Handed over: closing its channel lets it exit (see shard-entry.ts).
  worker.on('message', (message: ShardMessage) => {
    if (message.kind === 'final') worker.disconnect();
  });
  const pid = worker.process.pid;
  const exited = new Promise<void>((resolve) => {
    worker.on('exit', (code, signal) => {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      aggregator.exited(port, `(pid ${pid}) ${how}`);
      resolve();
    });
  });
  return { port, exited, kill: () => void worker.process.kill('SIGKILL') };
}
