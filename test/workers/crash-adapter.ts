/**
 * The uWS adapter's `serve`, except that a worker that records the user id `crash` throws an
 * uncaught error right after: a bug escaping every handler, once the event was acknowledged.
 */
import { serve as uws } from '../../packages/adapter-uws/src/index.js';
import type { RunningServer, ServeOptions } from '../../packages/core/src/server.js';

export async function serve(options: ServeOptions): Promise<RunningServer> {
  const store = options.store!;
  return uws({
    ...options,
    store: {
      record(userId, value) {
        if (userId === 'crash') {
          setImmediate(() => {
            throw new Error('boom');
          });
        }
        return store.record(userId, value);
      },
      recordBatch: (events) => store.recordBatch(events),
      snapshot: () => store.snapshot(),
      reset: () => store.reset(),
    },
  });
}
