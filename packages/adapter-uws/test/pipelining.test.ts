import type { RunningServer } from '@1mrc/server';
import { afterAll, beforeAll, expect } from 'vitest';
import { itUws } from '../../../test/uws-suite.js';
import { serve } from '../src/index.js';
import { rawConnect, request } from './raw-http.js';

let server: RunningServer;
beforeAll(async () => {
  server = await serve({ port: 0 });
});
afterAll(() => server.close());

itUws('answers pipelined requests on one connection in order', async () => {
  const connection = await rawConnect(server.port);
  const requests: string[] = [];
  const expected: string[] = [];
  for (let i = 1; i <= 20; i++) {
    requests.push(request('POST', '/event', JSON.stringify({ userId: `u${i % 3}`, value: i })));
    expected.push('{"status":"ok"}');
    if (i % 5 === 0) {
      // Each /stats sees exactly the events sent before it on the connection.
      requests.push(request('GET', '/stats'));
      const sum = (i * (i + 1)) / 2;
      expected.push(JSON.stringify({ totalRequests: i, uniqueUsers: Math.min(i, 3), sum, avg: sum / i }));
    }
  }
  requests.push(request('GET', '/nope'), request('POST', '/event', '{bad'));
  // One write, split at awkward places too, so requests straddle TCP segments.
  const all = requests.join('');
  connection.write(all.slice(0, 7));
  connection.write(all.slice(7, 500));
  connection.write(all.slice(500));
  const responses = await connection.read(requests.length);
  connection.destroy();
  expect(responses.slice(0, expected.length).map((r) => r.body)).toEqual(expected);
  expect(responses.slice(expected.length).map((r) => r.status)).toEqual([404, 400]);
});

itUws('keeps a connection alive across sequential requests', async () => {
  const connection = await rawConnect(server.port);
  for (let i = 0; i < 3; i++) {
    connection.write(request('GET', '/health'));
    const [response] = await connection.read(1);
    expect(response?.status).toBe(200);
    expect(response?.headers['connection']).toBeUndefined();
  }
  connection.destroy();
});
