import { serve } from '@1mrc/adapter-uws';
import { runUntilSignal } from '@1mrc/server';
import { storeFromEnv } from '@1mrc/store-redis';

// STORE unset or `memory`: the in-memory engine; `redis://host:port` or
// `redis+cluster://host:port,host:port`: a shared Redis store (docs/redis.md).
const store = storeFromEnv();
await runUntilSignal('adapter-uws', serve, store ? { store } : {});
