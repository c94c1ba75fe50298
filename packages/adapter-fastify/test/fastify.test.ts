import { Writable } from 'node:stream';
import { oneMrcPlugin, serve } from '@1mrc/adapter-fastify';
import { createStats } from '@1mrc/core';
import { contractReply, describeAdapterBehaviour, gatedStore, talk } from '@1mrc/testkit';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';

describeAdapterBehaviour({ name: 'adapter-fastify', serve });

const notFound = (await contractReply({ method: 'GET', url: '/nope' })).body;

const post = (url: string, body: string): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('oneMrcPlugin on an instance you own', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(build: (app: FastifyInstance) => unknown, logger?: object): Promise<string> {
    app = Fastify(logger ? { logger } : {});
    await build(app);
    return app.listen({ port: 0, host: '127.0.0.1' });
  }

  it('serves the contract beside your routes, which keep fastify JSON parsing', async () => {
    const store = createStats();
    const url = await start(async (app) => {
      app.post('/echo', async (request) => ({ got: request.body }));
      await app.register(oneMrcPlugin, { store });
    });
    const echo = await post(`${url}/echo`, '{"a":[1,2]}');
    expect(await echo.json()).toEqual({ got: { a: [1, 2] } });
    const event = await post(`${url}/event`, '{"userId":"a","value":2.5}');
    expect([event.status, await event.text()]).toEqual([200, '{"status":"ok"}']);
    expect(store.snapshot()).toMatchObject({ totalRequests: 1, sum: 2.5 });
  });

  it('validates with the core parser: a string value is 400, never coerced', async () => {
    const store = createStats();
    const url = await start((app) => app.register(oneMrcPlugin, { store }));
    const answer = await post(`${url}/event`, '{"userId":"a","value":"1"}');
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ error: { code: 'INVALID_EVENT' } });
    expect(store.snapshot().totalRequests).toBe(0);
  });

  it("answers the contract's 404, and leaves your 404 alone with notFound: false", async () => {
    const url = await start((app) => app.register(oneMrcPlugin));
    const missing = await fetch(`${url}/nope`);
    expect([missing.status, await missing.text()]).toEqual([404, notFound]);
    await app?.close();

    const own = await start((app) => app.register(oneMrcPlugin, { notFound: false }));
    const theirs = await fetch(`${own}/nope`);
    expect(theirs.status).toBe(404);
    expect(await theirs.text()).not.toBe(notFound);
    expect((await fetch(`${own}/health`)).status).toBe(200);
  });

  it('lets the contract judge the raw path, not the router’s decoded one', async () => {
    const url = await start((app) => app.register(oneMrcPlugin));
    const encoded = await post(`${url}/ev%65nt`, '{"userId":"a","value":1}');
    expect([encoded.status, await encoded.text()]).toEqual([404, notFound]);
  });

  it('sends the reply bytes through your onSend hooks', async () => {
    const url = await start(async (app) => {
      app.addHook('onSend', async (_request, reply, payload) => {
        reply.header('x-seen', 'yes');
        return payload;
      });
      await app.register(oneMrcPlugin);
    });
    const stats = await fetch(`${url}/stats`);
    expect(stats.headers.get('x-seen')).toBe('yes');
    expect(stats.headers.get('content-type')).toBe('application/json');
    expect(await stats.text()).toBe('{"totalRequests":0,"uniqueUsers":0,"sum":0,"avg":0}');
  });

  it('logs nothing per request on its routes, even with an info logger', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, next) {
        lines.push(String(chunk));
        next();
      },
    });
    const url = await start((app) => app.register(oneMrcPlugin), { level: 'info', stream });
    lines.length = 0;
    await post(`${url}/event`, '{"userId":"a","value":1}');
    await fetch(`${url}/stats`);
    expect(lines.filter((line) => line.includes('"url"'))).toEqual([]);
  });

  it('answers requests in flight when you close the instance, then lets it close', async () => {
    const gated = gatedStore();
    const url = await start(async (app) => {
      await app.register(oneMrcPlugin, { store: gated.store });
      // preClose hooks run plugin by plugin in order, so this one runs after the plugin's.
      await app.register(async (later) => later.addHook('preClose', async () => gated.release()));
    });
    const inFlight = [1, 2, 3].map((value) => post(`${url}/event`, JSON.stringify({ userId: 'a', value })));
    await gated.waitForPending(3);
    const closing = app?.close();
    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => [a.status, a.headers.get('connection')])).toEqual(
      Array(3).fill([200, 'close']),
    );
    // Told so, no client reuses a connection that the server is about to close.
    await closing;
    app = undefined;
  });

  it('refuses to be registered under a prefix', async () => {
    app = Fastify();
    await expect(app.register(oneMrcPlugin, { prefix: '/api' })).rejects.toThrow(/without a prefix.*\/api/);
  });

  it('refuses bad limits when it is registered', async () => {
    app = Fastify();
    await expect(app.register(oneMrcPlugin, { maxEventBytes: 0 })).rejects.toThrow(TypeError);
  });
});

describe('serve (fastify)', () => {
  it("answers a path the router cannot decode with the contract's 404", async () => {
    const server = await serve({ port: 0 });
    try {
      const { answers } = await talk(server.url, 'GET /event%zz HTTP/1.1\r\nHost: t\r\n\r\n', { answers: 1 });
      expect(answers.map((a) => [a.status, a.body.toString()])).toEqual([[404, notFound]]);
    } finally {
      await server.close();
    }
  });
});
