/**
 * Every adapter on 2 workers, over real sockets: `/stats` from any worker is the exact merged
 * snapshot, a client reads its own writes on any connection, SIGTERM prints one merged final
 * snapshot, and a worker that dies stops the whole server loudly: `closed` rejects in the process
 * that runs it, and the example exits 1.
 * uWS runs on worker threads (SO_REUSEPORT); node and fastify on node:cluster.
 */
import type { ChildProcess } from 'node:child_process';
import cluster from 'node:cluster';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createStats, type Snapshot } from '@1mrc/core';
import { statsReply } from '@1mrc/core/http';
import type { RunningServer, Serve } from '@1mrc/server';
import { serveWorkers } from '@1mrc/server/workers';
import {
  itUws,
  RawConnection,
  ADAPTERS as SERVE,
  sendRequest,
  spawnCaptured,
  testAdapters,
} from '@1mrc/testkit';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url);
const ADAPTERS = testAdapters.map((name) => ({ name, serve: SERVE[name] as Serve }));
const WORKERS = 2;

/** Values whose float running sum is wrong, so a lost, doubled or re-ordered merge shows in `sum`. */
const VALUES = [0.1, 0.2, 0.3, 1e16, 1, -1e16, 5e-324, 123456.789, -0, 2 ** 53, Math.PI];
const eventAt = (i: number): { userId: string; value: number } => ({
  userId: `user_${(i * 7) % 23}`,
  value: VALUES[i % VALUES.length]! * (i % 3 === 0 ? -1 : 1),
});

/** The event test/workers/crash-adapter.ts crashes on. */
const CRASH_EVENT = JSON.stringify({ userId: 'crash', value: 1 });

/** The exact `/stats` body the core gives for these events. */
function expectedBody(events: readonly { userId: string; value: number }[]): string {
  const reference = createStats();
  for (const { userId, value } of events) reference.record(userId, value);
  return new TextDecoder().decode(statsReply(reference.snapshot()).body);
}

const open: RawConnection[] = [];
const servers: RunningServer[] = [];
afterAll(async () => {
  for (const connection of open) connection.destroy();
  // Some were stopped by a dead worker: their close() rejects, as asserted where they fail.
  await Promise.allSettled(servers.map((server) => server.close()));
});

async function connections(url: string, count: number): Promise<RawConnection[]> {
  const made = await Promise.all(Array.from({ length: count }, () => RawConnection.open(url)));
  open.push(...made);
  return made;
}

for (const { name, serve } of ADAPTERS)
  describe(`${name} on 2 workers`, () => {
    let server: RunningServer;
    const sent: { userId: string; value: number }[] = [];

    it('answers /stats with the exact merged snapshot after posts over many connections', async () => {
      server = await serve({ workers: WORKERS, port: 0 });
      servers.push(server);
      const pool = await connections(server.url, 12);
      // Each connection posts its own share, one by one and in batches, all at once.
      await Promise.all(
        pool.map(async (connection, c) => {
          for (let k = 0; k < 10; k++) {
            const event = eventAt(c * 100 + k);
            sent.push(event);
            const answer = await sendRequest(connection, 'POST', '/event', JSON.stringify(event));
            expect(answer.status).toBe(200);
          }
          const batch = Array.from({ length: 5 }, (_, k) => eventAt(c * 100 + 50 + k));
          sent.push(...batch);
          expect((await sendRequest(connection, 'POST', '/events', JSON.stringify(batch))).status).toBe(200);
        }),
      );
      const expected = expectedBody(sent);
      for (const connection of pool)
        expect((await sendRequest(connection, 'GET', '/stats')).body).toBe(expected);
      expect(new TextDecoder().decode(statsReply(await server.store.snapshot()).body)).toBe(expected);
    });

    it('every /stats, on any connection, includes every event acknowledged before it', async () => {
      const [a, b, c, d, r1, r2, ...background] = await connections(server.url, 10);
      let acknowledged = sent.length;
      let issued = sent.length;
      let stop = false;
      // Background writers keep every worker busy recording while the reads happen.
      const writers = background.map(async (connection, w) => {
        for (let k = 0; !stop; k++) {
          const event = eventAt(1000 + w * 10_000 + k);
          sent.push(event);
          issued++;
          expect((await sendRequest(connection, 'POST', '/event', JSON.stringify(event))).status).toBe(200);
          acknowledged++;
        }
      });
      // Background readers keep gather rounds in flight, so a read often arrives during one.
      const readers = [r1!, r2!].map(async (connection) => {
        while (!stop) expect((await sendRequest(connection, 'GET', '/stats')).status).toBe(200);
      });
      const pairs = [
        [a!, b!],
        [b!, c!],
        [c!, d!],
        [d!, a!],
      ] as const;
      for (let i = 0; i < 200; i++) {
        const [writer, reader] = pairs[i % pairs.length]!;
        const event = eventAt(50_000 + i);
        sent.push(event);
        issued++;
        expect((await sendRequest(writer, 'POST', '/event', JSON.stringify(event))).status).toBe(200);
        acknowledged++;
        const floor = acknowledged;
        const stats = JSON.parse((await sendRequest(reader, 'GET', '/stats')).body) as Snapshot;
        expect(stats.totalRequests).toBeGreaterThanOrEqual(floor);
        expect(stats.totalRequests).toBeLessThanOrEqual(issued);
      }
      stop = true;
      await Promise.all([...writers, ...readers]);
      // Quiet again: exact.
      expect((await sendRequest(a!, 'GET', '/stats')).body).toBe(expectedBody(sent));
    });

    it('close drains every worker and merges their final counts', async () => {
      await server.close();
      await expect(server.closed).resolves.toBeUndefined();
      expect(new TextDecoder().decode(statsReply(await server.store.snapshot()).body)).toBe(
        expectedBody(sent),
      );
    });
  });

interface Child {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  stdout(): string;
  stderr(): string;
  /** Exit code, or the signal's name. */
  readonly exited: Promise<number | string>;
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts `node --conditions=source --import tsx <args>` on a free port; resolves once it listens. */
async function startChild(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Child> {
  const captured = spawnCaptured(process.execPath, ['--conditions=source', '--import', 'tsx', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1' },
  });
  const { child, stdout, stderr } = captured;
  children.push(child);
  const exited = captured.exited.then((code) => code ?? 'unknown');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not listening after 30 s:\n${stdout()}\n${stderr()}`)),
      30_000,
    );
    const check = (): void => {
      const found = /listening on (http:\/\/\S+)/.exec(stdout())?.[1];
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) =>
      reject(new Error(`exited (${code}) before listening:\n${stdout()}\n${stderr()}`)),
    );
  });
  return { child, url, port: Number(new URL(url).port), stdout, stderr, exited };
}

/** Pids of a process's children (Linux). */
function childPids(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [];
}

for (const { name } of ADAPTERS)
  describe(`${name} example with WORKERS=2`, () => {
    it('prints one merged final snapshot on SIGTERM and leaves no worker behind', async () => {
      const server = await startChild([`examples/${name}/src/main.ts`], { WORKERS: String(WORKERS) });
      const workers = childPids(server.child.pid!);
      const pool = await connections(server.url, 6);
      const events = Array.from({ length: 60 }, (_, i) => eventAt(i));
      await Promise.all(
        pool.map(async (connection, c) => {
          for (let i = c; i < events.length; i += pool.length) {
            expect((await sendRequest(connection, 'POST', '/event', JSON.stringify(events[i]))).status).toBe(
              200,
            );
          }
        }),
      );
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      const finals = server.stdout().match(/^final .*$/gm) ?? [];
      expect(finals).toEqual([`final ${expectedBody(events)}`]);
      for (const pid of workers) expect(existsSync(`/proc/${pid}`), `worker ${pid} still runs`).toBe(false);
    });
  });

describe('a worker that dies stops the server loudly', () => {
  it.each(['node', 'fastify'] as const)('%s: a cluster worker killed by SIGKILL', async (name) => {
    const server = await startChild([`examples/${name}/src/main.ts`], { WORKERS: String(WORKERS) });
    const [first, ...others] = childPids(server.child.pid!);
    expect(others).toHaveLength(WORKERS - 1);
    const [connection] = await connections(server.url, 1);
    expect((await sendRequest(connection!, 'POST', '/event', JSON.stringify(eventAt(1)))).status).toBe(200);
    process.kill(first!, 'SIGKILL');
    expect(await server.exited).toBe(1);
    expect(server.stderr()).toMatch(
      new RegExp(`STOPPING THE SERVER: worker \\d of 2 \\(pid ${first}\\) was killed by SIGKILL before`),
    );
    expect(server.stdout()).not.toMatch(/^final /m);
    for (const pid of others) expect(existsSync(`/proc/${pid}`), `worker ${pid} still runs`).toBe(false);
  });

  itUws('uws: a worker thread that throws an uncaught error', async () => {
    const adapter = pathToFileURL(join(ROOT.pathname, 'test/workers/crash-adapter.ts')).href;
    const server = await startChild(['test/workers/server.ts'], { ADAPTER: adapter, TRANSPORT: 'threads' });
    const [connection] = await connections(server.url, 1);
    const answer = await sendRequest(connection!, 'POST', '/event', CRASH_EVENT);
    expect(answer.status).toBe(200);
    expect(await server.exited).toBe(1);
    expect(server.stderr()).toMatch(/STOPPING THE SERVER: worker \d of 2 crashed \(boom\)/);
    expect(server.stdout()).not.toMatch(/^final /m);
  });
});

describe('a worker that dies rejects closed, in this very process, and exits nothing', () => {
  it('node: a cluster worker killed by SIGKILL', async () => {
    const server = await SERVE.node({ workers: WORKERS, port: 0 });
    servers.push(server);
    const [connection] = await connections(server.url, 1);
    expect((await sendRequest(connection!, 'POST', '/event', JSON.stringify(eventAt(1)))).status).toBe(200);
    const before = new Set(Object.values(cluster.workers ?? {}).map((worker) => worker!.process.pid));
    expect(before.size).toBe(WORKERS);
    const [victim] = [...before];
    process.kill(victim!, 'SIGKILL');
    await expect(server.closed).rejects.toThrow(
      new RegExp(`worker \\d of 2 \\(pid ${victim}\\) was killed by SIGKILL before handing over its counts`),
    );
    // The rest were stopped, and the merged store refuses to answer with less than it acknowledged.
    for (const pid of before) expect(existsSync(`/proc/${pid}`), `worker ${pid} still runs`).toBe(false);
    await expect(server.store.snapshot()).rejects.toThrow(/killed by SIGKILL/);
    expect(process.exitCode ?? 0).toBe(0);
  });

  itUws('uws: a worker thread that throws an uncaught error', async () => {
    const adapter = pathToFileURL(join(ROOT.pathname, 'test/workers/crash-adapter.ts')).href;
    const server = await serveWorkers('threads', adapter, { workers: WORKERS, port: 0 });
    servers.push(server);
    const [connection] = await connections(server.url, 1);
    const answer = await sendRequest(connection!, 'POST', '/event', CRASH_EVENT);
    expect(answer.status).toBe(200);
    await expect(server.closed).rejects.toThrow(/worker \d of 2 crashed \(boom\)/);
    await expect(server.close()).rejects.toThrow(/crashed \(boom\)/);
    expect(process.exitCode ?? 0).toBe(0);
  });
});
