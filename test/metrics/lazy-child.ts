/**
 * Whether prom-client is loaded, before and after the first scrape of /metrics, in a process of
 * its own (a test runner's process may have loaded it for another file). Run with an adapter
 * name; prints `loaded <before-traffic> <after-traffic> <after-scrape>` and exits.
 */
import { createRequire } from 'node:module';
import { sep } from 'node:path';
import { ADAPTERS, isAdapterName, RawConnection, sendRequest } from '@1mrc/testkit';

const require = createRequire(import.meta.url);
/** A CommonJS package imported from ESM is in `require.cache` once loaded. */
const loaded = (): boolean =>
  Object.keys(require.cache).some((path) => path.includes(`${sep}prom-client${sep}`));

const [adapter = ''] = process.argv.slice(2);
if (!isAdapterName(adapter)) throw new TypeError(`Expected an adapter name, got ${adapter}`);
const server = await ADAPTERS[adapter]({ port: 0 });
const before = loaded();
const connection = await RawConnection.open(server.url);
const answer = await sendRequest(connection, 'POST', '/event', '{"userId":"u","value":1}');
if (answer.status !== 200) throw new Error(`POST /event answered ${answer.status}`);
const afterTraffic = loaded();
const scraped = await sendRequest(connection, 'GET', '/metrics');
if (!scraped.body.includes('onemrc_events_accepted_total 1'))
  throw new Error(`/metrics said:\n${scraped.body}`);
const afterScrape = loaded();
connection.destroy();
await server.close();
console.log(`loaded ${before} ${afterTraffic} ${afterScrape}`);
