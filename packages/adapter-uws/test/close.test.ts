import { connect } from 'node:net';
import { expect, it } from 'vitest';
import { describeUws } from '../../../test/uws-suite.js';
import { serve } from '../src/index.js';
import { rawConnect, request } from './raw-http.js';
import { gatedStore } from './stores.js';

/** Resolves with the error code of a connection attempt, or 'connected'. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

const event = (userId: string): string => request('POST', '/event', JSON.stringify({ userId, value: 1 }));

describeUws('adapter-uws graceful close', () => {
  it('stops accepting, finishes in-flight requests, then resolves', async () => {
    const gated = gatedStore();
    const server = await serve({ port: 0, store: gated.store });
    const connections = await Promise.all([1, 2, 3].map(() => rawConnect(server.port)));
    for (const [i, connection] of connections.entries()) connection.write(event(`u${i}`));
    await gated.waitForPending(3);

    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    expect(await tryConnect(server.port)).toBe('ECONNREFUSED');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);

    gated.release();
    const responses = await Promise.all(connections.map(async (c) => (await c.read(1))[0]));
    expect(responses.map((r) => r?.status)).toEqual([200, 200, 200]);
    // A draining server tells each client it is closing the connection.
    expect(responses.map((r) => r?.headers['connection'])).toEqual(['close', 'close', 'close']);
    await closing;
    await Promise.all(connections.map((c) => c.closed));
    expect(gated.stats.snapshot().totalRequests).toBe(3);
  });

  it('closes idle keep-alive connections and answers a late request on one', async () => {
    const gated = gatedStore();
    const server = await serve({ port: 0, store: gated.store });
    const idle = await rawConnect(server.port);
    idle.write(request('GET', '/health'));
    expect((await idle.read(1))[0]?.status).toBe(200);
    const late = await rawConnect(server.port);
    late.write(request('GET', '/health'));
    await late.read(1);
    const busy = await rawConnect(server.port);
    busy.write(event('busy'));
    await gated.waitForPending(1);

    const closing = server.close();
    // A request on a kept-alive connection while draining is still answered, then its connection goes.
    late.write(request('GET', '/health'));
    const [answer] = await late.read(1);
    expect(answer?.status).toBe(200);
    expect(answer?.headers['connection']).toBe('close');
    await late.closed;

    gated.release();
    expect((await busy.read(1))[0]?.status).toBe(200);
    await closing;
    await idle.closed;
    expect(server.close()).toBe(closing);
  });

  it('resolves at once with nothing in flight', async () => {
    const server = await serve({ port: 0 });
    await server.close();
    expect(await tryConnect(server.port)).toBe('ECONNREFUSED');
  });
});
