/**
 * Each failure kind on a real redis-server behind a real HTTP server: POST answers 503
 * `UNAVAILABLE` with `Retry-After` and counts nothing, /health says the store is down, and the
 * server recovers by itself when Redis is back.
 */
import { execFileSync, spawn } from 'node:child_process';
import { serve } from '@1mrc/adapter-node';
import type { RunningServer } from '@1mrc/server';
import { createRedisStore, type RedisStore } from '@1mrc/store-redis';
import {
  eventually,
  fetchGet,
  fetchPostEvent,
  fetchPostEvents,
  freePort,
  type RedisProcess,
  skipWithoutRedis,
  startRedis,
} from '@1mrc/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const skip = skipWithoutRedis();

function answersPing(port: number): boolean {
  try {
    return execFileSync('redis-cli', ['-p', String(port), 'PING'], {
      encoding: 'utf8',
      timeout: 150,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).includes('PONG');
  } catch {
    return false;
  }
}

describe.skipIf(skip)('Redis store faults', () => {
  let redis: RedisProcess | undefined;
  let server: RunningServer | undefined;
  let store: RedisStore | undefined;

  afterEach(async () => {
    await server?.close();
    await store?.close();
    await redis?.stop();
    redis = server = store = undefined;
  });

  const start = async (url: string, commandTimeoutMs = 500): Promise<string> => {
    store = createRedisStore({
      url,
      commandTimeoutMs,
      connectTimeoutMs: 500,
      maxReconnectDelayMs: 100,
      retryAfterSeconds: 2,
    });
    server = await serve({ port: 0, store });
    return server.url;
  };

  const expectUnavailable = async (url: string): Promise<void> => {
    const one = await fetchPostEvent(url, 'u', 1);
    expect(one.status).toBe(503);
    expect(one.headers.get('retry-after')).toBe('2');
    expect((one.body as { error: { code: string } }).error.code).toBe('UNAVAILABLE');
    const batch = await fetchPostEvents(url, [{ userId: 'v', value: 2 }]);
    expect(batch.status).toBe(503);
    expect(batch.headers.get('retry-after')).toBe('2');
  };

  const expectHealthDown = async (url: string): Promise<void> => {
    const health = await fetchGet(url, '/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'unavailable', store: 'down' });
  };

  const statsBody = async (url: string): Promise<unknown> => (await fetchGet(url, '/stats')).body;
  const recovered = (url: string) => async () => (await fetchPostEvent(url, 'back', 10)).status === 200;

  it('unreachable: 503 until Redis starts, then recovers by itself', async () => {
    const port = await freePort();
    const url = await start(`redis://127.0.0.1:${port}`);
    await expectUnavailable(url);
    expect((await fetchGet(url, '/stats')).status).toBe(503);
    await expectHealthDown(url);
    redis = await startRedis({ port });
    await eventually(recovered(url));
    expect((await fetchGet(url, '/health')).status).toBe(200);
    // Only the event that got its 200 is counted.
    expect(await statsBody(url)).toEqual({ totalRequests: 1, uniqueUsers: 1, sum: 10, avg: 10 });
  });

  it('killed (down): 503, nothing lost, reconnects after a restart on the same directory', async () => {
    redis = await startRedis();
    const url = await start(redis.url);
    await store!.ready();
    expect((await fetchPostEvent(url, 'a', 1)).status).toBe(200);
    await redis.kill();
    await expectUnavailable(url);
    expect((await fetchGet(url, '/stats')).status).toBe(503);
    await expectHealthDown(url);
    await redis.restart();
    await eventually(recovered(url));
    expect(await statsBody(url)).toEqual({ totalRequests: 2, uniqueUsers: 2, sum: 11, avg: 5.5 });
  });

  it('slow (DEBUG SLEEP past the command timeout): 503 and the late write is not counted', async () => {
    redis = await startRedis({ args: ['--enable-debug-command', 'local'] });
    const url = await start(redis.url, 1000);
    await store!.ready();
    expect((await fetchPostEvent(url, 'a', 1)).status).toBe(200);
    const sleeping = spawn('redis-cli', ['-p', String(redis.port), 'DEBUG', 'SLEEP', '5'], {
      stdio: 'ignore',
    });
    const slept = new Promise((resolve) => sleeping.once('exit', resolve));
    // Wait until Redis is asleep: a PING from another client goes unanswered.
    const port = redis.port;
    await eventually(async () => !answersPing(port));
    await expectUnavailable(url);
    expect((await fetchGet(url, '/stats')).status).toBe(503);
    await slept;
    await eventually(recovered(url));
    // The two writes that timed out ran after their deadline: refused by the script, not counted.
    expect(await statsBody(url)).toEqual({ totalRequests: 2, uniqueUsers: 2, sum: 11, avg: 5.5 });
  });

  it('paused (CLIENT PAUSE WRITE): 503, the held write is not counted when the pause ends', async () => {
    redis = await startRedis();
    const url = await start(redis.url, 1000);
    await store!.ready();
    redis.cli('CLIENT', 'PAUSE', '4000', 'WRITE');
    await expectUnavailable(url);
    // Redis 7.0 holds every script during a write pause, the read script too.
    expect((await fetchGet(url, '/stats')).status).toBe(503);
    await eventually(recovered(url));
    expect(await statsBody(url)).toEqual({ totalRequests: 1, uniqueUsers: 1, sum: 10, avg: 10 });
  });

  it('refusing writes (maxmemory, noeviction): 503, counts nothing, recovers when memory is back', async () => {
    redis = await startRedis({ args: ['--maxmemory-policy', 'noeviction'] });
    const url = await start(redis.url);
    await store!.ready();
    expect((await fetchPostEvent(url, 'a', 1)).status).toBe(200);
    redis.cli('CONFIG', 'SET', 'maxmemory', '1');
    await expectUnavailable(url);
    await expectHealthDown(url);
    // Reads still work while writes are refused: the state is intact.
    expect(await statsBody(url)).toEqual({ totalRequests: 1, uniqueUsers: 1, sum: 1, avg: 1 });
    redis.cli('CONFIG', 'SET', 'maxmemory', '0');
    await eventually(recovered(url));
    expect(await statsBody(url)).toEqual({ totalRequests: 2, uniqueUsers: 2, sum: 11, avg: 5.5 });
  });
});
