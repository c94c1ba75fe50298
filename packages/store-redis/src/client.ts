/**
 * The ioredis connection, set up so that a write is never sent twice and never waits unseen:
 * no offline queue (a command while disconnected fails at once), no re-sending of commands
 * whose reply was lost (their outcome is unknown: the request already failed with 503),
 * reconnection forever with a bounded pause. The scripts are defined once and called by SHA
 * (ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT, e.g. after a restart).
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { ResolvedOptions } from './options.js';
import { READ_SCRIPT, RECORD_SCRIPT, RESET_SCRIPT } from './scripts.js';

export type ShardReply = [count: string, users: number, limbs: string[]];

/** The three scripts, each on one shard's keys (count, users, sum). */
export interface ScriptClient {
  onemrcRecord(count: string, users: string, sum: string, ...args: (string | number)[]): Promise<number>;
  onemrcRead(count: string, users: string, sum: string): Promise<ShardReply>;
  onemrcReset(count: string, users: string, sum: string): Promise<number>;
}

export type Connection = (Redis | Cluster) & ScriptClient;

export function connect(options: ResolvedOptions): Connection {
  const retryStrategy = (attempt: number): number => Math.min(attempt * 50, options.maxReconnectDelayMs);
  const common: RedisOptions = {
    connectTimeout: options.connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    retryStrategy,
    ...(options.password === undefined ? {} : { password: options.password }),
    ...(options.username === undefined ? {} : { username: options.username }),
  };
  const client =
    options.url !== undefined
      ? new Redis(options.url, common)
      : new Cluster(
          options.cluster!.map((node) => ({ ...node })),
          {
            enableOfflineQueue: false,
            clusterRetryStrategy: retryStrategy,
            scaleReads: 'master',
            slotsRefreshTimeout: options.connectTimeoutMs,
            redisOptions: common,
          },
        );
  // Errors surface on the commands that failed; an 'error' event without a listener would crash.
  client.on('error', () => {});
  client.defineCommand('onemrcRecord', { numberOfKeys: 3, lua: RECORD_SCRIPT });
  client.defineCommand('onemrcRead', { numberOfKeys: 3, lua: READ_SCRIPT });
  client.defineCommand('onemrcReset', { numberOfKeys: 3, lua: RESET_SCRIPT });
  return client as Connection;
}
