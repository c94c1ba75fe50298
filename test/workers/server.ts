/**
 * A challenge server on 2 workers whose adapter module is given by URL: `ADAPTER=<module URL>
 * TRANSPORT=<threads|cluster> node --conditions=source --import tsx test/workers/server.ts`.
 */
import { runUntilSignal } from '@1mrc/server';
import { serveWorkers, type WorkerTransport } from '@1mrc/server/workers';

const { ADAPTER: adapter, TRANSPORT: transport } = process.env;
if (!adapter || (transport !== 'threads' && transport !== 'cluster')) {
  throw new TypeError('Usage: ADAPTER=<module URL> TRANSPORT=<threads|cluster> server.ts');
}
process.exitCode = await runUntilSignal('workers', (options) =>
  serveWorkers(transport as WorkerTransport, adapter, { workers: 2, ...options }),
);
