/**
 * A user's app, built from the packed tarballs: the engine, the fastify plugin in the user's own
 * fastify app, adapter-node's `serve`, and adapter-uws where a native uWebSockets.js loads.
 * Prints what it saw as one JSON line for the test to check.
 */
import type { AddressInfo } from 'node:net';
import { oneMrcPlugin } from '@1mrc/adapter-fastify';
import { serve } from '@1mrc/adapter-node';
import { serve as serveUws, uwsAvailability } from '@1mrc/adapter-uws';
import { createStats, type Snapshot } from '@1mrc/core';
import Fastify from 'fastify';

async function postAndRead(base: string): Promise<{ post: number; stats: Snapshot }> {
  const post = await fetch(`${base}/event`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: 'user_1', value: 2.5 }),
  });
  await post.arrayBuffer();
  const stats = (await (await fetch(`${base}/stats`)).json()) as Snapshot;
  return { post: post.status, stats };
}

const engine = createStats();
engine.record('user_1', 1e308);
engine.record('user_2', 1);
engine.record('user_1', -1e308);

// The plugin inside the user's fastify app, beside the user's own route.
const app = Fastify({ logger: false });
app.get('/hello', async () => ({ hello: 'world' }));
const store = createStats();
await app.register(oneMrcPlugin, { store });
await app.listen({ port: 0, host: '127.0.0.1' });
const fastifyBase = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
const fastify = {
  ...(await postAndRead(fastifyBase)),
  hello: await (await fetch(`${fastifyBase}/hello`)).json(),
  store: await store.snapshot(),
};
await app.close();

const server = await serve({ port: 0 });
const node = await postAndRead(server.url);
await server.close();

const availability = uwsAvailability();
let uws: { post: number; stats: Snapshot } | { skipped: string };
if (availability.ok) {
  const uwsServer = await serveUws({ port: 0 });
  uws = await postAndRead(uwsServer.url);
  await uwsServer.close();
} else {
  uws = { skipped: availability.reason };
}

console.log(JSON.stringify({ engine: await engine.snapshot(), fastify, node, uws }));
