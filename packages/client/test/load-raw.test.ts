import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES, runEngine } from '../src/engines.js';
import type { LoadOptions } from '../src/load.js';
import { buildRequests, runRawLoad } from '../src/load-raw.js';
import { buildBodies, createPattern } from '../src/pattern.js';

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  closers.push(
    () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A node:http server recording every POST body it reads; `answer` may misbehave. */
async function recorder(
  answer: (res: ServerResponse, n: number) => void = (res) => res.end('{}'),
): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createHttpServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    bodies.push(Buffer.concat(chunks).toString());
    answer(res, bodies.length);
  });
  server.keepAliveTimeout = 60_000;
  return { url: await listen(server), bodies };
}

/** A bare TCP server answering each read with `answer`. */
async function tcp(answer: string): Promise<string> {
  return listen(createServer((socket) => socket.on('data', () => socket.write(answer))));
}

function options(origin: string, events: number, more: Partial<LoadOptions> = {}): LoadOptions {
  return {
    origins: [origin],
    path: '/event',
    // 10 users: the requests repeat every 1,000, so runs longer than that wrap around the buffer.
    bodies: buildBodies(createPattern('seed', 10), events),
    first: 0,
    end: events,
    connections: 5,
    pipelining: 7,
    timeoutMs: 30_000,
    maxErrors: 1000,
    ...more,
  };
}

function expectedBodies(events: number, first = 0): string[] {
  const pattern = createPattern('seed', 10);
  return Array.from({ length: events - first }, (_, j) =>
    JSON.stringify({ userId: pattern.userId(first + j), value: pattern.value(first + j) }),
  );
}

describe('buildRequests', () => {
  it('builds complete HTTP/1.1 requests, one per pattern period slot', () => {
    const bodies = buildBodies(createPattern('seed', 10), 2500);
    const { bytes, offsets, period } = buildRequests('127.0.0.1:8080', '/event', bodies);
    expect(period).toBe(1000);
    const request = (k: number): string => bytes.toString('latin1', offsets[k], offsets[k + 1]);
    const body = bodies.body(1234).toString();
    expect(request(234)).toBe(
      `POST /event HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(offsets[period]).toBe(bytes.length);
  });
});

describe.each(ENGINES)('the %s engine', (engine) => {
  it('sends exactly the pattern for [first, end), pipelined over the buffer wrap', async () => {
    const server = await recorder();
    const result = await runEngine(engine, options(server.url, 2500, { first: 300 }));
    expect(result).toMatchObject({ succeeded: 2200, failed: 0, notSent: 0, errors: {} });
    expect(server.bodies.sort()).toEqual(expectedBodies(2500, 300).sort());
    expect(result.histogram.totalCount).toBe(2200);
  });

  it('reads chunked responses', async () => {
    const server = await recorder((res) => {
      res.write('{"chunked"');
      res.end(':true}');
    });
    const result = await runEngine(engine, options(server.url, 300));
    expect(result).toMatchObject({ succeeded: 300, failed: 0 });
  });

  it('counts a request that outlives the timeout, and the ones behind it, and sends the rest', async () => {
    let connections = 0;
    const url = await listen(
      createServer((socket) => {
        // The first connection never answers; later ones answer every request they get.
        if (++connections === 1) return;
        socket.on('data', (data) => {
          const requests = data.toString('latin1').split('POST ').length - 1;
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'.repeat(requests));
        });
      }),
    );
    const result = await runEngine(
      engine,
      options(url, 5, { connections: 1, pipelining: 3, timeoutMs: 300 }),
    );
    expect(result.failed).toBe(3);
    expect(result.errors['timeout']).toBeGreaterThanOrEqual(1);
    expect(result.succeeded).toBe(2);
  });
});

describe('the raw engine', () => {
  it('opens a new connection after Connection: close, and re-sends nothing', async () => {
    const server = await recorder((res, n) => {
      if (n % 10 === 0) res.setHeader('Connection', 'close');
      res.end('{}');
    });
    // Distinct bodies (75,000 users), so a body seen twice is a request sent twice.
    const bodies = buildBodies(createPattern('seed', 75_000), 2000);
    const result = await runRawLoad(options(server.url, 2000, { pipelining: 4, bodies }));
    expect(result.succeeded + result.failed).toBe(2000);
    expect(Object.keys(result.errors).filter((kind) => kind !== 'reset')).toEqual([]);
    // node:http reads (and records) pipelined requests it will not answer after a close,
    // so the server may have more bodies than answers, but never one twice.
    expect(new Set(server.bodies).size).toBe(server.bodies.length);
    expect(server.bodies.length).toBeLessThanOrEqual(2000);
    expect(result.succeeded).toBeLessThanOrEqual(server.bodies.length);
  });

  it('loses nothing to Connection: close without pipelining', async () => {
    const server = await recorder((res) => {
      res.setHeader('Connection', 'close');
      res.end('{}');
    });
    const result = await runRawLoad(options(server.url, 200, { pipelining: 1 }));
    expect(result).toMatchObject({ succeeded: 200, failed: 0, errors: {} });
    expect(server.bodies.sort()).toEqual(expectedBodies(200).sort());
  });

  it('counts an answer it cannot parse as a protocol error', async () => {
    const url = await tcp('HTTP/1.1 OK 200\r\n\r\n');
    const result = await runRawLoad(options(url, 20, { pipelining: 1, connections: 2 }));
    expect(result).toMatchObject({ succeeded: 0, failed: 20, notSent: 0, errors: { protocol: 20 } });
  });

  it('drops a connection that answers a request twice, and pairs no later request with the extra answer', async () => {
    const ok = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';
    let connections = 0;
    const url = await listen(
      createServer((socket) => {
        connections++;
        socket.on('data', () => socket.write(ok + ok));
      }),
    );
    const result = await runRawLoad(options(url, 20, { pipelining: 1, connections: 1 }));
    // No request failed (each got its answer), but the extra answer ended the connection.
    expect(result).toMatchObject({ succeeded: 20, failed: 0 });
    expect(connections).toBe(20);
  });

  it('counts refused connections as connect errors and stops at max errors', async () => {
    const url = await tcp('');
    await closers.pop()?.();
    const result = await runRawLoad(options(url, 100, { pipelining: 2, connections: 3, maxErrors: 20 }));
    expect(result.errors).toEqual({ connect: result.failed });
    expect(result.failed).toBeGreaterThanOrEqual(20);
    expect(result.failed).toBeLessThan(20 + 3 * 2);
    expect(result.notSent).toBe(100 - result.failed);
  });
});
