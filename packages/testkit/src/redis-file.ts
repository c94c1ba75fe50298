/**
 * One redis-server and one 3-master Cluster for a test file, started before its tests and stopped
 * after them, and the two targets a Redis store test runs on. Nothing starts when the file skips.
 */
import { afterAll, beforeAll } from 'vitest';
import { type RedisClusterProcess, type RedisProcess, startRedis, startRedisCluster } from './redis.js';

/** The machine is shared and noisy: these tests are about answers, not about timeouts. */
const PATIENT = { commandTimeoutMs: 10_000, connectTimeoutMs: 10_000 } as const;

/** What `createRedisStore` takes, for one of the file's servers (no prefix: each test sets its own). */
export type RedisTargetOptions =
  | { readonly url: string; readonly commandTimeoutMs: number; readonly connectTimeoutMs: number }
  | {
      readonly cluster: readonly { readonly host: string; readonly port: number }[];
      readonly shards: number;
      readonly commandTimeoutMs: number;
      readonly connectTimeoutMs: number;
    };

export interface RedisForFile {
  /** `standalone` and `cluster`, each with the store options for it (read inside a test). */
  readonly targets: readonly (readonly ['standalone' | 'cluster', () => RedisTargetOptions])[];
  readonly standalone: () => RedisProcess;
  readonly cluster: () => RedisClusterProcess;
}

export function redisForFile(skip: boolean): RedisForFile {
  let redis: RedisProcess | undefined;
  let cluster: RedisClusterProcess | undefined;
  beforeAll(async () => {
    if (skip) return;
    redis = await startRedis();
    cluster = await startRedisCluster();
  });
  afterAll(async () => {
    await redis?.stop();
    await cluster?.stop();
  });
  const standalone = (): RedisProcess => {
    if (redis === undefined) throw new Error('redisForFile: Redis is not started (read it inside a test)');
    return redis;
  };
  const clustered = (): RedisClusterProcess => {
    if (cluster === undefined)
      throw new Error('redisForFile: the Cluster is not started (read it inside a test)');
    return cluster;
  };
  return {
    targets: [
      ['standalone', () => ({ url: standalone().url, ...PATIENT })],
      ['cluster', () => ({ cluster: clustered().seeds, shards: 6, ...PATIENT })],
    ],
    standalone,
    cluster: clustered,
  };
}
