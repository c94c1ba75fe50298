/**
 * The fuzzing properties (fuzz-properties.ts), briefly, on every adapter: `pnpm fuzz` runs them
 * longer. FC_NUM_RUNS sets the runs; FC_SEED and FC_PATH replay a failure (fast-check prints them).
 */

import { fcParams, testAdapters, withServer } from '@1mrc/testkit';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { bodiesProperty, headsProperty } from './fuzz-properties.js';
import { TEST_TIMEOUTS } from './limits.js';

describe.concurrent('fuzzing', () => {
  for (const adapter of testAdapters) {
    it(
      `${adapter}: arbitrary bodies get the parsers' verdict, and only accepted ones count`,
      () =>
        withServer(adapter, TEST_TIMEOUTS, async (server) => {
          const { property, close } = bodiesProperty(server.url);
          try {
            await fc.assert(property, fcParams(100));
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
          await fc.assert(headsProperty(server.url, 300), fcParams(100, 1 / 5));
        }),
      120_000,
    );
  }
});
