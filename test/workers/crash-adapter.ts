/**
 * The uWS adapter's `serve`, except that a worker that records the user id `crash` throws an
 * uncaught error right after: a bug escaping every handler, once the event was acknowledged.
 */
import { serve as uws } from '@1mrc/adapter-uws';
import type { RunningServer, ServeOptions } from '@1mrc/server';

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
