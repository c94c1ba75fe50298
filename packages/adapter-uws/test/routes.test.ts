import { createStats, type Snapshot } from '@1mrc/core';
import { createContract, type Reply, statsReply } from '@1mrc/core/http';
import type { RunningServer } from '@1mrc/server';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeUws } from '../../../test/uws-suite.js';
import { serve } from '../src/index.js';
import { rawConnect, request } from './raw-http.js';

const decoder = new TextDecoder();
let server: RunningServer;

beforeAll(async () => {
  server = await serve({ port: 0, resetToken: 'secret' });
});
afterAll(() => server.close());
beforeEach(() => server.store.reset());

const post = (
  path: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
): Promise<Response> =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

/** What the contract itself answers a valid event, so the adapter is held to its exact bytes. */
async function referenceEventReply(): Promise<Reply> {
  const route = createContract({ store: createStats() }).route({ method: 'POST', url: '/event' });
  if (route.limit === undefined) throw new Error('POST /event should read a body');
  return route.handle(new TextEncoder().encode('{"userId":"u","value":1}'));
}

async function expectReply(response: Response, reply: Reply): Promise<void> {
  expect(response.status).toBe(reply.status);
  for (const [name, value] of Object.entries(reply.headers)) expect(response.headers.get(name)).toBe(value);
  expect(new Uint8Array(await response.arrayBuffer())).toEqual(reply.body);
}

async function expectError(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/json');
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
}

const snapshot = async (): Promise<Snapshot> => server.store.snapshot();

describeUws('adapter-uws routes', () => {
  it('listens on the real port it was given by port 0', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('records POST /event and answers the contract bytes', async () => {
    await expectReply(await post('/event', '{"userId":"u","value":1}'), await referenceEventReply());
    await post('/event', '{"userId":"v","value":2.5}', { 'content-type': '' });
    expect(await snapshot()).toEqual({ totalRequests: 2, uniqueUsers: 2, sum: 3.5, avg: 1.75 });
  });

  it('serves GET /stats as the exact bytes of statsReply, query string ignored', async () => {
    await post('/event', '{"userId":"a","value":0.1}');
    await post('/event', '{"userId":"a","value":0.2}');
    const expected = statsReply(await snapshot());
    await expectReply(await fetch(`${server.url}/stats`), expected);
    await expectReply(await fetch(`${server.url}/stats?fresh=1`), expected);
  });

  it('records batches, JSON and NDJSON', async () => {
    const json = await post('/events', '[{"userId":"a","value":1},{"userId":"b","value":2}]');
    expect(await json.json()).toEqual({ accepted: 2 });
    const ndjson = await post('/events', '{"userId":"c","value":3}\n{"userId":"a","value":4}\n', {
      'content-type': 'application/x-ndjson',
    });
    expect(await ndjson.json()).toEqual({ accepted: 2 });
    expect(await snapshot()).toMatchObject({ totalRequests: 4, uniqueUsers: 3, sum: 10 });
  });

  it('answers 404 for an unknown path and 405 with Allow for a wrong method', async () => {
    await expectError(await fetch(`${server.url}/nope`), 404, 'NOT_FOUND');
    const getEvent = await fetch(`${server.url}/event`);
    expect(getEvent.headers.get('allow')).toBe('POST');
    await expectError(getEvent, 405, 'METHOD_NOT_ALLOWED');
    const deleteStats = await fetch(`${server.url}/stats`, { method: 'DELETE' });
    expect(deleteStats.headers.get('allow')).toBe('GET');
    await expectError(deleteStats, 405, 'METHOD_NOT_ALLOWED');
  });

  it('rejects bad bodies with 400/413/415 and counts nothing', async () => {
    await post('/event', '{"userId":"kept","value":7}');
    const before = await snapshot();
    await expectError(await post('/event', '{"userId":'), 400, 'INVALID_JSON');
    await expectError(await post('/event', '{"userId":"x"}'), 400, 'INVALID_EVENT');
    await expectError(await post('/event', new Uint8Array([0x22, 0xff, 0x22])), 400, 'INVALID_JSON');
    await expectError(await post('/events', '[{"userId":"x","value":1},{}]'), 400, 'INVALID_EVENT');
    await expectError(
      await post('/event', '{"userId":"x","value":1}', { 'content-type': 'text/plain' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    const big = JSON.stringify({ userId: 'x', value: 1, pad: 'p'.repeat(5000) });
    await expectError(await post('/event', big), 413, 'PAYLOAD_TOO_LARGE');
    expect(await snapshot()).toEqual(before);
  });

  it('answers 413 to a chunked body that grows past the limit, and counts nothing', async () => {
    const before = await snapshot();
    const chunk = new TextEncoder().encode(`{"userId":"x","value":1,"pad":"${'p'.repeat(1000)}`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 100) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await fetch(`${server.url}/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    await expectError(response, 413, 'PAYLOAD_TOO_LARGE');
    expect(await snapshot()).toEqual(before);
  });

  it('answers 413 from Content-Length alone, before any body, and closes the connection', async () => {
    const connection = await rawConnect(server.port);
    connection.write('POST /event HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n{"userId"');
    const [response] = await connection.read(1);
    expect(response?.status).toBe(413);
    expect(response?.headers['connection']).toBe('close');
    await connection.closed;
  });

  it('answers 413 as soon as a chunked body passes the limit, without waiting for its end', async () => {
    const connection = await rawConnect(server.port);
    const head = 'POST /event HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n';
    const chunk = `400\r\n${'p'.repeat(0x400)}\r\n`;
    // 5 KiB of a body that never ends: the answer must come anyway, then the connection goes.
    connection.write(head + chunk.repeat(5));
    const [response] = await connection.read(1);
    expect(response?.status).toBe(413);
    expect(response?.body).toContain('PAYLOAD_TOO_LARGE');
    await connection.closed;
  });

  it('accepts a chunked body within the limit', async () => {
    const parts = ['{"userId":', '"chunked",', '"value":2}'].map((part) => new TextEncoder().encode(part));
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const part = parts.shift();
        if (part) controller.enqueue(part);
        else controller.close();
      },
    });
    const init = { method: 'POST', body, duplex: 'half' } as RequestInit;
    expect((await fetch(`${server.url}/event`, init)).status).toBe(200);
    expect(await snapshot()).toMatchObject({ totalRequests: 1, sum: 2 });
  });

  it('answers HEAD with the head only, keeping the connection usable', async () => {
    const connection = await rawConnect(server.port);
    connection.write(request('HEAD', '/stats') + request('GET', '/health'));
    const [head] = await connection.read(1, { head: true });
    const [health] = await connection.read(1);
    connection.destroy();
    expect(head?.status).toBe(405);
    expect(Number(head?.headers['content-length'])).toBeGreaterThan(0);
    expect(health?.body).toBe('{"status":"ok"}');
  });

  it('guards POST /reset with the bearer token', async () => {
    await post('/event', '{"userId":"a","value":1}');
    const denied = await fetch(`${server.url}/reset`, { method: 'POST' });
    expect(denied.headers.get('www-authenticate')).toBe('Bearer');
    await expectError(denied, 401, 'UNAUTHORIZED');
    expect((await snapshot()).totalRequests).toBe(1);
    const reset = await fetch(`${server.url}/reset`, {
      method: 'POST',
      headers: { authorization: 'Bearer secret' },
    });
    expect(reset.status).toBe(200);
    expect((await snapshot()).totalRequests).toBe(0);
  });
});

describeUws('adapter-uws options', () => {
  it('rejects a bad port or limit before listening', async () => {
    await expect(serve({ port: -1 })).rejects.toThrow(/port.*-1/);
    await expect(serve({ port: 0, maxEventBytes: 0 })).rejects.toThrow(TypeError);
  });

  it('fails clearly when the port is taken', async () => {
    await expect(serve({ port: server.port })).rejects.toThrow(/cannot listen on 127\.0\.0\.1/);
  });

  it('applies the body limits it is given', async () => {
    const small = await serve({ port: 0, maxEventBytes: 30 });
    try {
      // A Uint8Array body goes without a Content-Type, which the contract accepts as JSON.
      const body = new TextEncoder().encode('{"userId":"a-longer-user","value":1}');
      const response = await fetch(`${small.url}/event`, { method: 'POST', body });
      expect(response.status).toBe(413);
      expect(decoder.decode(await response.arrayBuffer())).toContain('PAYLOAD_TOO_LARGE');
    } finally {
      await small.close();
    }
  });
});
