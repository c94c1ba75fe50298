/** Worker entry for `--client-threads`: sends one share of the run and posts its result. */
import { parentPort, workerData } from 'node:worker_threads';
import { runShare, type ThreadData } from './threads.js';

const port = parentPort;
if (!port) throw new Error('thread.ts runs as a worker thread only');

const ready = (): Promise<void> =>
  new Promise((resolve) => {
    port.once('message', () => resolve());
    port.postMessage('ready');
  });

port.postMessage(await runShare(workerData as ThreadData, ready));
