import { createServer } from 'node:net';
import { parseAnswer, RawConnection, rawRequest, socketAddress, talk } from '@1mrc/conformance/raw-http';
import { describe, expect, it } from 'vitest';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('the raw HTTP/1.1 client', () => {
  it('connects where the URL says: the default port without one, IPv6 literals without brackets', () => {
    expect(socketAddress('http://example.test/stats')).toEqual({ host: 'example.test', port: 80 });
    expect(socketAddress('https://example.test')).toEqual({ host: 'example.test', port: 443 });
    expect(socketAddress('http://[::1]:8080')).toEqual({ host: '::1', port: 8080 });
  });

  it('takes Host from the URL, port included, and frames a body by its UTF-8 length', () => {
    const request = rawRequest('http://[::1]:8080', 'POST', '/event', {}, '{"userId":"é"}').toString(
      'latin1',
    );
    expect(request).toMatch(/^POST \/event HTTP\/1\.1\r\nhost: \[::1\]:8080\r\ncontent-length: 15\r\n\r\n/);
    expect(rawRequest('http://example.test', 'GET', '/stats').toString()).toContain('host: example.test\r\n');
  });

  it('joins repeated headers, reads chunked bodies, and knows HEAD answers have no body', () => {
    const joined = parseAnswer(
      bytes('HTTP/1.1 200 OK\r\nVary: a\r\nvary: b\r\ncontent-length: 2\r\n\r\nok'),
      0,
    );
    expect(joined?.answer.headers['vary']).toBe('a, b');
    const stream = bytes(
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\nrest',
    );
    const chunked = parseAnswer(stream, 0);
    expect([chunked?.answer.body.toString(), chunked?.next]).toEqual(['abc', stream.length - 'rest'.length]);
    const head = parseAnswer(bytes('HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 90\r\n\r\n'), 0, {
      head: true,
    });
    expect(head?.answer.body.length).toBe(0);
    expect(() => parseAnswer(bytes('SSH-2.0-OpenSSH\r\n\r\n'), 0)).toThrow(/not an HTTP\/1\.1/);
  });

  it('speaks to a server on an IPv6 loopback URL, and sees it close', async () => {
    const server = createServer((socket) => {
      socket.once('data', (data) => {
        const host = /\r\nhost: (.*)\r\n/.exec(data.toString('latin1'))?.[1] ?? '';
        socket.end(`HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: ${host.length}\r\n\r\n${host}`);
      });
    });
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(0, '::1', () => resolve(true));
    });
    if (!listening) {
      server.close();
      if (process.env['CI'] === 'true') throw new Error('no IPv6 loopback (::1) to listen on');
      console.warn('skipped: this machine has no IPv6 loopback (::1); enable IPv6 to run it');
      return;
    }
    const { port } = server.address() as { port: number };
    const url = `http://[::1]:${port}`;
    try {
      const outcome = await talk(url, rawRequest(url, 'GET', '/health'));
      expect(outcome.closed).toBe(true);
      expect(outcome.answers.map((a) => a.body.toString())).toEqual([`[::1]:${port}`]);
      const connection = await RawConnection.open(url);
      expect(connection.url).toBe(url);
      connection.destroy();
    } finally {
      server.close();
    }
  });
});
