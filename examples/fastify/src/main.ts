import { serve } from '@1mrc/adapter-fastify';
import { runUntilSignal } from '@1mrc/server';
import { storeFromEnv } from '@1mrc/store-redis/env';

// STORE unset or `memory`: the in-memory engine (the Redis client is then never loaded);
// `redis://host:port` or `redis+cluster://host:port,host:port`: a shared Redis store (docs/redis.md).
const store = await storeFromEnv();
process.exitCode = await runUntilSignal('adapter-fastify', serve, store ? { store } : {});
