import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_HEAD_BYTES, ProtocolError, ResponseParser } from '../src/response-parser.js';

/** Feeds `pieces` in turn; the statuses of the responses completed, and whether the parser says closed. */
function parse(pieces: readonly (string | Buffer)[], end = false): { statuses: number[]; closed: boolean } {
  const statuses: number[] = [];
  const parser = new ResponseParser({ onResponse: (status) => statuses.push(status) });
  for (const piece of pieces) parser.feed(Buffer.from(piece));
  if (end) parser.end();
  return { statuses, closed: parser.closed };
}

const ok = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}';
const chunked =
  'HTTP/1.1 201 Created\r\ntransfer-encoding: Chunked\r\n\r\n4;ext=1\r\nWiki\r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n';
const interim = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\ncontent-length:0\r\n\r\n';
const noBody = 'HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n';
const error = 'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\n{}';
const emptyReason = 'HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx';
const all = ok + chunked + interim + noBody + error + emptyReason;
const allStatuses = [200, 201, 202, 204, 500, 200];

describe('ResponseParser', () => {
  it('frames several responses in one chunk', () => {
    expect(parse([all]).statuses).toEqual(allStatuses);
  });

  it('frames them the same when split at any byte boundary', () => {
    for (let cut = 0; cut <= all.length; cut++) {
      expect(parse([all.slice(0, cut), all.slice(cut)]).statuses, `cut at ${cut}`).toEqual(allStatuses);
    }
  });

  it('frames them the same one byte at a time', () => {
    expect(parse([...all]).statuses).toEqual(allStatuses);
  });

  it('frames random responses cut at random places', () => {
    const response = fc.record({
      status: fc.integer({ min: 200, max: 599 }),
      body: fc.array(fc.string({ maxLength: 20 }), { maxLength: 4 }),
      chunked: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(response, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat()),
        (responses, cuts) => {
          const text = responses
            .map(({ status, body, chunked }) => {
              if (status === 204 || status === 304) return `HTTP/1.1 ${status} X\r\n\r\n`;
              if (!chunked) {
                const bytes = Buffer.from(body.join(''));
                return `HTTP/1.1 ${status} X\r\nContent-Length: ${bytes.length}\r\n\r\n${bytes.toString('latin1')}`;
              }
              const chunks = body
                .map((part) => Buffer.from(part))
                .filter((part) => part.length > 0)
                .map((part) => `${part.length.toString(16)}\r\n${part.toString('latin1')}\r\n`);
              return `HTTP/1.1 ${status} X\r\nTransfer-Encoding: chunked\r\n\r\n${chunks.join('')}0\r\n\r\n`;
            })
            .join('');
          const bytes = Buffer.from(text, 'latin1');
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const pieces = [0, ...points].map((from, i) => bytes.subarray(from, points[i] ?? bytes.length));
          expect(parse(pieces).statuses).toEqual(responses.map((r) => r.status));
        },
      ),
    );
  });

  it('does not keep the caller’s buffer: a reused read buffer cannot change what it parsed', () => {
    const statuses: number[] = [];
    const parser = new ResponseParser({ onResponse: (status) => statuses.push(status) });
    const buffer = Buffer.alloc(64);
    const feed = (text: string): void => {
      buffer.fill(0x21);
      parser.feed(buffer.subarray(0, buffer.write(text, 'latin1')));
    };
    feed('HTTP/1.1 20');
    feed('3 OK\r\nContent-Length: 0\r\n\r\n');
    expect(statuses).toEqual([203]);
  });

  it('stops after Connection: close and ignores what follows', () => {
    const close = 'HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n';
    expect(parse([close + ok])).toEqual({ statuses: [200], closed: true });
  });

  it('treats HTTP/1.0 as closing unless it says keep-alive', () => {
    expect(parse(['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n'])).toEqual({
      statuses: [200],
      closed: true,
    });
    const keepAlive = 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n';
    expect(parse([keepAlive + keepAlive])).toEqual({ statuses: [200, 200], closed: false });
  });

  it('ends a response without length at the end of the connection', () => {
    const unframed = 'HTTP/1.1 200 OK\r\n\r\nbody until the end';
    expect(parse([unframed])).toEqual({ statuses: [], closed: false });
    expect(parse([unframed], true)).toEqual({ statuses: [200], closed: true });
  });

  it.each([
    ['a malformed status line', 'HTTP/1.1 2x0 OK\r\n\r\n', /malformed status line/],
    ['a status line without a space', 'HTTP/1.1200 OK\r\n\r\n', /malformed status line/],
    ['a status line with a long code', 'HTTP/1.1 2000 OK\r\n\r\n', /malformed status line/],
    ['another protocol', 'HTTP/2 200 OK\r\n\r\n', /not an HTTP\/1.x status line/],
    ['an HTTP/1.2 version', 'HTTP/1.2 200 OK\r\n\r\n', /malformed status line/],
    ['bare LF line ends', 'HTTP/1.1 200 OK\nContent-Length: 0\n\n', /byte 0xa in the status line/],
    ['a CR without LF', 'HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n', /CR without LF/],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nContent-Length 0\r\n\r\n', /malformed header line/],
    ['a folded header line', 'HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n', /malformed header line/],
    [
      'a non-numeric Content-Length',
      'HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n',
      /bad Content-Length: 1e3/,
    ],
    [
      'two different Content-Lengths',
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      /bad Content-Length/,
    ],
    ['both framings', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n', /both/],
    [
      'another transfer coding',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
      /unsupported Transfer-Encoding/,
    ],
    [
      'a malformed chunk size',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      /malformed chunk size/,
    ],
    [
      'chunk data overrunning its size',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n',
      /not followed by CRLF/,
    ],
    ['a switch of protocols', 'HTTP/1.1 101 Switching Protocols\r\n\r\n', /101/],
  ])('refuses %s', (_, text, message) => {
    expect(() => parse([text])).toThrow(ProtocolError);
    expect(() => parse([text])).toThrow(message);
  });

  it('refuses a wrong start as soon as its first bytes arrive', () => {
    expect(() => parse(['<htm'])).toThrow(/not an HTTP\/1.x status line/);
    expect(() => parse(['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nnonsense'])).toThrow(ProtocolError);
  });

  it('refuses a head longer than the limit instead of buffering it', () => {
    const huge = `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(MAX_HEAD_BYTES)}`;
    expect(() => parse([huge.slice(0, 100), huge.slice(100)])).toThrow(/more than 16384 bytes/);
  });
});
