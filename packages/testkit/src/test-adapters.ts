import { type AdapterName, selectAdapters } from './adapters.js';
import { skipsUws } from './uws-availability.js';

/**
 * `TEST_ADAPTERS=node,uws` runs the tests that go over every adapter on some only. uws is left
 * out, with one line saying why and how to fix it, where no native uWebSockets.js loads for this
 * Node.js (./uws-availability.ts; under CI=true that fails instead, unless ONEMRC_UWS_OPTIONAL=1).
 */
export const testAdapters: readonly AdapterName[] = selectAdapters(process.env['TEST_ADAPTERS']).filter(
  (name) => !skipsUws(name),
);
