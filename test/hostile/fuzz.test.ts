/**
 * The fuzzing properties (fuzz-properties.ts), briefly, on every adapter: `pnpm fuzz` runs them
 * longer. FC_NUM_RUNS sets the runs; FC_SEED replays a failure (fast-check prints the seed).
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { bodiesProperty, headsProperty } from './fuzz-properties.js';
import { adapterNames, TEST_TIMEOUTS, withServer } from './harness.js';

const runs = Number(process.env['FC_NUM_RUNS'] ?? 100);
const seed = process.env['FC_SEED'] === undefined ? {} : { seed: Number(process.env['FC_SEED']) };

describe.concurrent('fuzzing', () => {
  for (const adapter of adapterNames) {
    it(
      `${adapter}: arbitrary bodies get the parsers' verdict, and only accepted ones count`,
      () =>
        withServer(adapter, TEST_TIMEOUTS, async (server) => {
          const { property, close } = bodiesProperty(server.url);
          try {
            await fc.assert(property, { numRuns: runs, ...seed });
          } finally {
            close();
          }
        }),
      120_000,
    );

    it(
      `${adapter}: arbitrary heads get an allowed status or none, count nothing, break nothing`,
      () =>
        withServer(adapter, TEST_TIMEOUTS, async (server) => {
          // Heads are slower (each batch waits for silent connections): a fifth of the runs.
          await fc.assert(headsProperty(server.url, 300), {
            numRuns: Math.max(1, Math.round(runs / 5)),
            ...seed,
          });
        }),
      120_000,
    );
  }
});
