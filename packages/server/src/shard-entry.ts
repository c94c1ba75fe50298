/**
 * Where a worker started by `serveWorkers` begins: it loads the adapter's `serve` and runs the
 * worker side of `@1mrc/server/shards` over its link to the primary (a worker thread's
 * `parentPort`, or a cluster worker's IPC channel).
 *
 * A worker never calls `process.exit`: once its server has drained and its link is let go, its
 * event loop is empty and it ends. The primary kills one that does not end in time (workers.ts),
 * and node:cluster itself ends a child whose primary is gone (an unexpected `disconnect`).
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
  // (after the final hand-over), the drained worker has nothing left to do and ends.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
}

/** Lets go of the link to the primary, the last thing keeping a drained worker alive. */
const letGo = (): void => {
  if (parentPort) parentPort.unref();
  else if (process.connected) process.disconnect();
};

// A thread's process is the primary's, whose metrics already say what it uses.
const shard = serveShard(port, serve, { processMetrics: !parentPort });

// A thread ends as soon as it has handed over: its server's sockets are closed by then (a
// thread that ends with native sockets still open, as uWebSockets.js's, aborts the process).
// A cluster worker waits for the primary to close the channel, which it does on `final`.
if (parentPort) void shard.handedOver.then(letGo);

// A bug that escaped every handler: tell the primary, which stops the whole server, and close
// this worker's sockets before it ends (for a thread, ending with them open aborts the process).
// A drain that hangs does not keep the broken worker alive: the primary kills it.
let crashed = false;
const crash = (error: unknown): void => {
  if (crashed) return;
  crashed = true;
  process.exitCode = 1;
  void shard.crash(error).finally(letGo);
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);
