/**
 * `pnpm fuzz [--adapter node|fastify|uws] [--runs N] [--seed S]`: the fuzzing properties of
 * test/hostile/fuzz-properties.ts, run longer than in CI, against each adapter on a free
 * loopback port. FC_NUM_RUNS works too; the default is 2,000 runs of bodies (up to 8 bodies
 * each) and a fifth as many of heads (up to 12 each). A failure prints its seed and
 * counterexample; pass `--seed` to replay it.
 */
import { parseArgs } from 'node:util';
import { type AdapterName, selectAdapters, withServer } from '@1mrc/testkit';
import fc from 'fast-check';
import { bodiesProperty, headsProperty } from '../test/hostile/fuzz-properties.js';

const { values } = parseArgs({
  options: { adapter: { type: 'string' }, runs: { type: 'string' }, seed: { type: 'string' } },
});
const adapters: readonly AdapterName[] = selectAdapters(values.adapter);
const runs = Number(values.runs ?? process.env['FC_NUM_RUNS'] ?? 2_000);
if (!Number.isSafeInteger(runs) || runs < 1)
  throw new TypeError(`Expected --runs to be a positive integer, got ${runs}`);
const seed = values.seed === undefined ? {} : { seed: Number(values.seed) };

let failed = false;
for (const adapter of adapters) {
  await withServer(adapter, {}, async (server) => {
    const started = Date.now();
    const bodies = bodiesProperty(server.url);
    const headRuns = Math.max(1, Math.round(runs / 5));
    try {
      await fc.assert(bodies.property, { numRuns: runs, ...seed });
      await fc.assert(headsProperty(server.url, 300), { numRuns: headRuns, ...seed });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(
        `${adapter}: held. ${runs} runs, ${bodies.counts.sent} bodies (${bodies.counts.accepted} accepted, ` +
          `the rest refused as the parsers said), stats equal to the reference after each run; ` +
          `${headRuns} runs of heads, none counted; ${seconds} s`,
      );
    } catch (error) {
      failed = true;
      const { message, cause } = error as Error;
      console.error(
        `${adapter}: FAILED\n${message}\n${cause instanceof Error ? cause.message : String(cause)}`,
      );
    } finally {
      bodies.close();
    }
  });
}
process.exit(failed ? 1 : 0);
