/**
 * Where a worker started by `serveWorkers` begins: it loads the adapter's `serve` and runs the
 * worker side of `@1mrc/server/shards` over its link to the primary (a worker thread's
 * `parentPort`, or a cluster worker's IPC channel).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { PrimaryMessage, ShardMessage, ShardServe, WorkerPort } from './shards/index.js';
import { serveShard } from './shards/index.js';
import { ADAPTER_ENV, type ShardEntryData } from './workers.js';

const adapter = isMainThread ? process.env[ADAPTER_ENV] : (workerData as ShardEntryData).adapter;
if (adapter === undefined) throw new Error(`@1mrc/server: a shard worker needs ${ADAPTER_ENV}`);
const { serve } = (await import(adapter)) as { serve: ShardServe };

let port: WorkerPort;
if (parentPort) {
  const parent = parentPort;
  port = {
    postMessage: (message: ShardMessage) => parent.postMessage(message),
    onMessage: (listener) => parent.on('message', (message: PrimaryMessage) => listener(message)),
  };
} else {
  const send = process.send?.bind(process);
  if (!send) throw new Error('@1mrc/server: a shard worker must be started by serveWorkers');
  port = {
    postMessage: (message: ShardMessage) => {
      if (process.connected) send(message);
    },
    onMessage: (listener) => process.on('message', (message: PrimaryMessage) => listener(message)),
  };
  // The primary alone decides when to stop: a Ctrl-C reaches the whole process group, and a
  // worker that died on it would take its counts along. Once the primary has closed the channel
  // (after the final hand-over) or died, there is no one left to answer to.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  process.on('disconnect', () => process.exit(0));
}

const shard = serveShard(port, serve);

// A thread ends as soon as it has handed over (its server's sockets are closed by then; a
// thread that ends with native sockets still open, as uWebSockets.js's, aborts the process).
if (parentPort) void shard.handedOver.then(() => process.exit(0));

// A bug that escaped every handler: tell the primary, which stops the whole server, and close
// this worker's sockets before it ends (for a thread, ending with them open aborts the process).
let crashed = false;
const crash = (error: unknown): void => {
  if (crashed) return;
  crashed = true;
  const exit = (): never => process.exit(1);
  // A drain that hangs must not keep a broken worker alive.
  setTimeout(exit, 2000);
  void shard.crash(error).then(exit, exit);
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);
