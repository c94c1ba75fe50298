/**
 * A server in a process of its own, for the tests that measure its memory or need more file
 * descriptors than one process may hold. Run as
 * `node --expose-gc --conditions=source --import tsx packages/testkit/src/server-child.ts <adapter> [options JSON]`.
 * Prints `listening <url>`, then obeys one command per line on stdin: `memory` collects garbage
 * and prints `memory {"rss":…,"heapUsed":…}`; `close` drains, prints `final {snapshot}`, exits.
 */
import { createInterface } from 'node:readline';
import { ADAPTERS, isAdapterName } from './adapters.js';

const [adapter = '', options = '{}'] = process.argv.slice(2);
if (!isAdapterName(adapter)) throw new TypeError(`Expected an adapter name, got ${adapter}`);
const server = await ADAPTERS[adapter]({ port: 0, ...JSON.parse(options) });
const gc = (globalThis as { gc?: () => void }).gc;

createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line === 'memory') {
    // Twice: the first pass may only queue finalizers that free native (socket) memory.
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
    gc?.();
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    console.log(`memory ${JSON.stringify({ rss, heapUsed, heapTotal, external })}`);
  } else if (line === 'close') {
    await server.close();
    console.log(`final ${JSON.stringify(await server.store.snapshot())}`);
    process.exit(0);
  }
});
console.log(`listening ${server.url}`);
