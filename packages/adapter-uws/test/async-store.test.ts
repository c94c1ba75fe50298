import { createStats } from '@1mrc/core';
import { createContract, statsReply } from '@1mrc/core/http';
import { expect, it } from 'vitest';
import { describeUws } from '../../../test/uws-suite.js';
import { serve } from '../src/index.js';
import { rawConnect, request } from './raw-http.js';
import { delayedStore, failingStore, gatedStore } from './stores.js';

const internalErrorBody = new TextDecoder().decode(
  createContract({ store: createStats() }).internalError.body,
);
const postEvent = (url: string, userId: string, value = 1): Promise<Response> =>
  fetch(`${url}/event`, {
    method: 'POST',
    body: new TextEncoder().encode(JSON.stringify({ userId, value })),
  });

describeUws('adapter-uws with an asynchronous store', () => {
  it('answers only after the store resolved, with the same bytes as a synchronous one', async () => {
    const delayed = delayedStore(20);
    const server = await serve({ port: 0, store: delayed.store });
    try {
      const responses = await Promise.all(['a', 'b', 'a'].map((user, i) => postEvent(server.url, user, i)));
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
      const body = new TextEncoder().encode('[{"userId":"c","value":4}]');
      const batch = await fetch(`${server.url}/events`, { method: 'POST', body });
      expect(await batch.json()).toEqual({ accepted: 1 });
      const stats = await fetch(`${server.url}/stats`);
      const expected = statsReply(delayed.stats.snapshot());
      expect(new Uint8Array(await stats.arrayBuffer())).toEqual(expected.body);
      expect(delayed.stats.snapshot()).toMatchObject({ totalRequests: 4, uniqueUsers: 3, sum: 7 });
    } finally {
      await server.close();
    }
  });

  it('survives clients that leave while the store is still working', async () => {
    const gated = gatedStore();
    const server = await serve({ port: 0, store: gated.store });
    try {
      const leavers = await Promise.all([1, 2, 3].map(() => rawConnect(server.port)));
      leavers[0]?.write(request('POST', '/event', '{"userId":"gone","value":1}'));
      leavers[1]?.write(request('GET', '/stats'));
      leavers[2]?.write(request('POST', '/events', '[{"userId":"gone","value":2}]'));
      await gated.waitForPending(3);
      for (const leaver of leavers) leaver.destroy();
      await Promise.all(leavers.map((leaver) => leaver.closed));
      // Give uWS a moment to see the aborts before the store resolves.
      await new Promise((resolve) => setTimeout(resolve, 50));
      gated.release();
      await new Promise((resolve) => setTimeout(resolve, 20));

      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(200);
      // The store did its work; only the answers had nowhere to go.
      expect(gated.stats.snapshot()).toMatchObject({ totalRequests: 2, sum: 3 });
    } finally {
      await server.close();
    }
  });
});

describeUws('adapter-uws with a failing store', () => {
  for (const mode of ['throw', 'reject'] as const) {
    it(`answers 500 without details when the store calls ${mode}, and keeps serving`, async () => {
      const server = await serve({ port: 0, store: failingStore(mode) });
      try {
        for (const response of [
          await postEvent(server.url, 'a'),
          await fetch(`${server.url}/stats`),
          await fetch(`${server.url}/events`, { method: 'POST', body: new TextEncoder().encode('[]') }),
        ]) {
          expect(response.status).toBe(500);
          const body = await response.text();
          expect(body).toBe(internalErrorBody);
          expect(body).not.toContain('secret-internal-detail');
        }
        expect((await fetch(`${server.url}/health`)).status).toBe(200);
      } finally {
        await server.close();
      }
    });
  }
});
