/**
 * The reset route and the bind address: `/reset` does not exist without a token, refuses a
 * missing or wrong one (the core compares in constant time), and a server started without a
 * host listens on the loopback address only (read from the kernel's socket table).
 */
import { readFileSync } from 'node:fs';
import {
  ADAPTERS,
  type AdapterName,
  postEvent,
  RawConnection,
  readStats,
  testAdapters,
  withServer,
} from '@1mrc/testkit';
import { describe, expect, it } from 'vitest';

const TOKEN = 'correct horse battery staple';

function resetWith(authorization: string | undefined): string {
  const header = authorization === undefined ? '' : `authorization: ${authorization}\r\n`;
  return `POST /reset HTTP/1.1\r\nhost: x\r\n${header}content-length: 0\r\n\r\n`;
}

/** Local addresses of listening TCP sockets on `port`, from /proc/net/tcp{,6} (Linux). */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === '0A' && local?.endsWith(`:${hexPort}`)) found.push(local.slice(0, -5));
    }
  }
  return found;
}

for (const adapter of testAdapters) {
  describe(`security: ${adapter}`, () => {
    it('without a token, /reset does not exist: 404 whatever the method or header', () =>
      withServer(adapter, {}, async (server) => {
        const connection = await RawConnection.open(server.url);
        await connection.send(postEvent(server.url, '{"userId":"kept","value":1}'));
        for (const request of [
          resetWith(undefined),
          resetWith(`Bearer ${TOKEN}`),
          'GET /reset HTTP/1.1\r\nhost: x\r\n\r\n',
        ]) {
          const [answer] = await connection.send(request);
          expect(answer?.status).toBe(404);
        }
        connection.destroy();
        expect((await readStats(server.url)).totalRequests).toBe(1);
      }));

    it('with a token: 401 for none, a wrong one, a prefix, a longer one, another scheme; 200 for it', () =>
      withServer(adapter, { resetToken: TOKEN }, async (server) => {
        const connection = await RawConnection.open(server.url);
        await connection.send(postEvent(server.url, '{"userId":"kept","value":1}'));
        const wrong = [
          undefined,
          '',
          'Bearer',
          'Bearer ',
          'Bearer wrong',
          `Bearer ${TOKEN.slice(0, -1)}`,
          `Bearer ${TOKEN}x`,
          `Bearer ${TOKEN.toUpperCase()}`,
          `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}`,
          TOKEN,
        ];
        for (const authorization of wrong) {
          const [answer] = await connection.send(resetWith(authorization));
          expect({ authorization, status: answer?.status }).toEqual({ authorization, status: 401 });
          expect(answer?.headers['www-authenticate']).toBe('Bearer');
        }
        expect((await readStats(server.url)).totalRequests).toBe(1);
        const [right] = await connection.send(resetWith(`Bearer ${TOKEN}`));
        expect(right?.status).toBe(200);
        connection.destroy();
        expect(await readStats(server.url)).toEqual({ totalRequests: 0, uniqueUsers: 0, sum: 0, avg: 0 });
      }));

    it.runIf(process.platform === 'linux')('without a host, listens on 127.0.0.1 only', async () => {
      const server = await ADAPTERS[adapter as AdapterName]({ port: 0 });
      try {
        expect(new URL(server.url).hostname).toBe('127.0.0.1');
        // 0100007F is 127.0.0.1 as the kernel prints it; 0.0.0.0 or :: would be every interface.
        expect(listeningAddresses(server.port)).toEqual(['0100007F']);
      } finally {
        await server.close();
      }
    });
  });
}
