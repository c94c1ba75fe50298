/**
 * A challenge server on workers whose adapter module is given by URL:
 * `node --conditions=source --import tsx test/workers/server.ts <adapter module URL> <threads|cluster>`.
 */
import { runUntilSignal } from '../../packages/core/src/server.js';
import { serveWorkers, type WorkerTransport } from '../../packages/core/src/workers.js';

const [adapter, transport] = process.argv.slice(2);
if (!adapter || (transport !== 'threads' && transport !== 'cluster')) {
  throw new TypeError('Usage: server.ts <adapter module URL> <threads|cluster>');
}
await runUntilSignal('workers', (options) =>
  serveWorkers(transport as WorkerTransport, adapter, { workers: 2, ...options }),
);
