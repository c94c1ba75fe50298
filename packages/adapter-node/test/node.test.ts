import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequestListener, serve } from '@1mrc/adapter-node';
import { createStats } from '@1mrc/core';
import { createContract } from '@1mrc/core/http';
import { describeAdapterBehaviour } from '@1mrc/testkit';
import { describe, expect, it } from 'vitest';

describeAdapterBehaviour({ name: 'adapter-node', serve });

describe('createRequestListener', () => {
  it('serves the contract on an http.Server the caller owns', async () => {
    const store = createStats();
    const server = createServer(createRequestListener(createContract({ store })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const answer = await fetch(`${url}/event`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"userId":"a","value":3}',
      });
      expect([answer.status, await answer.text()]).toEqual([200, '{"status":"ok"}']);
      expect(store.snapshot()).toMatchObject({ totalRequests: 1, sum: 3 });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
