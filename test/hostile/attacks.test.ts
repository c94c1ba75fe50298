/**
 * HTTP-level attacks over raw sockets: requests framed two ways, malformed heads, oversized
 * heads. Each must get a 400 (431 for a head too large) or a closed connection, never a count
 * and never a desync: most carry a valid `POST /event` hidden where a parser that framed the
 * request another way would read it as the next request, and that event must not be counted.
 */

import { healthy, type Outcome, postEvent, readStats, talk, testAdapters, withServer } from '@1mrc/testkit';
import { describe, expect, it } from 'vitest';
import { cutOffLimitMs, HEAD_REFUSALS, LEAK, TEST_TIMEOUTS } from './limits.js';

/** The attack bytes are fixed, Host included (`x`, as in the heads below): the servers serve any Host. */
const PAYLOAD_ORIGIN = 'http://x';
const HIDDEN = postEvent(PAYLOAD_ORIGIN, '{"userId":"smuggled","value":1}');
const n = HIDDEN.length;

/** Each is one write: the head, then the hidden request where some parser would look for the next one. */
const AMBIGUOUS: Readonly<Record<string, string>> = {
  'Content-Length and Transfer-Encoding (CL.TE)': `POST /event HTTP/1.1\r\nhost: x\r\ncontent-length: ${n + 5}\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n${HIDDEN}`,
  'Transfer-Encoding and Content-Length (TE.CL)': `POST /event HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\ncontent-length: 4\r\n\r\n${n.toString(16)}\r\n${HIDDEN}\r\n0\r\n\r\n`,
  'two different Content-Lengths': `POST /event HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\ncontent-length: ${n}\r\n\r\n${HIDDEN}`,
  'two equal Content-Lengths': `POST /event HTTP/1.1\r\nhost: x\r\ncontent-length: ${n}\r\ncontent-length: ${n}\r\n\r\n${HIDDEN}`,
  'a Content-Length list': `POST /event HTTP/1.1\r\nhost: x\r\ncontent-length: 0, ${n}\r\n\r\n${HIDDEN}`,
  'an empty Content-Length before a real one': `POST /event HTTP/1.1\r\nhost: x\r\ncontent-length: \r\ncontent-length: ${n}\r\n\r\n${HIDDEN}`,
  'Content-Length with a sign': `POST /event HTTP/1.1\r\nhost: x\r\ncontent-length: +0\r\n\r\n${HIDDEN}`,
  'Content-Length in hex': `POST /event HTTP/1.1\r\nhost: x\r\ncontent-length: 0x0\r\n\r\n${HIDDEN}`,
  'Content-Length past 2^64': `POST /event HTTP/1.1\r\nhost: x\r\ncontent-length: 18446744073709551616\r\n\r\n${HIDDEN}`,
  'Transfer-Encoding gzip, chunked': `POST /event HTTP/1.1\r\nhost: x\r\ntransfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n${HIDDEN}`,
  'Transfer-Encoding chunked, identity': `POST /event HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked, identity\r\ncontent-length: ${n}\r\n\r\n${HIDDEN}`,
  'two Transfer-Encoding headers': `POST /event HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\ntransfer-encoding: identity\r\n\r\n0\r\n\r\n${HIDDEN}`,
  'Transfer-Encoding xchunked': `POST /event HTTP/1.1\r\nhost: x\r\ntransfer-encoding: xchunked\r\n\r\n${HIDDEN}`,
  'a space before the colon': `POST /event HTTP/1.1\r\nhost: x\r\ntransfer-encoding : chunked\r\ncontent-length: ${n + 5}\r\n\r\n0\r\n\r\n${HIDDEN}`,
  'an empty Transfer-Encoding': `POST /event HTTP/1.1\r\nhost: x\r\ntransfer-encoding: \r\ncontent-length: ${n}\r\n\r\n${HIDDEN}`,
  'Transfer-Encoding on HTTP/1.0': `POST /event HTTP/1.0\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n${HIDDEN}`,
  'a chunk size past 2^64': `POST /event HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n1${'0'.repeat(16)}1\r\n${HIDDEN}\r\n0\r\n\r\n`,
  'a last chunk ended by bare LF': `POST /event HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n0\n\n${HIDDEN}`,
  'a chunk extension ended by bare LF': `POST /event HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n0;a\n\r\n${HIDDEN}`,
  'a head with bare LF line ends': `POST /event HTTP/1.1\nhost: x\ncontent-length: 0\n\n${HIDDEN}`,
  'a bare LF inside the headers': `POST /event HTTP/1.1\r\nhost: x\r\nx-a: b\ncontent-length: ${n}\r\n\r\n${HIDDEN}`,
  'a bare CR': `POST /event HTTP/1.1\rhost: x\r\ncontent-length: 0\r\n\r\n${HIDDEN}`,
  'an obs-fold continuation line': `POST /event HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n ${n}\r\n\r\n${HIDDEN}`,
  'a NUL in a header value': `POST /event HTTP/1.1\r\nhost: x\r\nx-a: b\0c\r\ncontent-length: 0\r\n\r\n${HIDDEN}`,
  'a garbage request line': `HELLO\r\n\r\n${HIDDEN}`,
  'binary garbage': `\0\x01\x02\xff\xfe\r\n\r\n${HIDDEN}`,
  'a space in the target': `POST /ev ent HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n${HIDDEN}`,
  'HTTP/2.0 in an HTTP/1 request line': `POST /event HTTP/2.0\r\nhost: x\r\ncontent-length: 0\r\n\r\n${HIDDEN}`,
  'a lower-case method': `post /event HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n${HIDDEN}`,
  'no Host header': `POST /event HTTP/1.1\r\ncontent-length: 0\r\n\r\n${HIDDEN}`,
};

/** What every refused request must look like: only refusals, no count, and a closed connection. */
function expectRefused(outcome: Outcome, what: string): void {
  const statuses = outcome.answers.map((answer) => answer.status);
  expect(
    statuses.filter((status) => !HEAD_REFUSALS.has(status)),
    `${what}: answered ${statuses}`,
  ).toEqual([]);
  expect(outcome.closed, `${what}: the connection was left open (answers: ${statuses})`).toBe(true);
  for (const answer of outcome.answers) {
    // No stack, no path, no echo of the request in a refusal.
    expect(answer.body.toString('latin1')).not.toMatch(LEAK);
    expect(answer.body.toString('latin1')).not.toContain('smuggled');
  }
}

for (const adapter of testAdapters) {
  // Each test on its own server, so they can run at once (on uWS some wait out its timeout).
  describe.concurrent(`HTTP attacks: ${adapter}`, () => {
    const waitMs = cutOffLimitMs(adapter);

    it('controls: the hidden request counts when it is sent as itself, alone or pipelined', () =>
      withServer(adapter, TEST_TIMEOUTS, async (server) => {
        // Shows the checks below can fail: the same bytes, framed plainly, are one and two events.
        const alone = await talk(server.url, HIDDEN, { waitMs, answers: 1 });
        const pipelined = await talk(
          server.url,
          postEvent(server.url, '{"userId":"plain","value":1}') + HIDDEN,
          {
            waitMs,
            answers: 2,
          },
        );
        expect(alone.answers.map((answer) => answer.status)).toEqual([200]);
        expect(pipelined.answers.map((answer) => answer.status)).toEqual([200, 200]);
        expect(await readStats(server.url)).toEqual({ totalRequests: 3, uniqueUsers: 2, sum: 3, avg: 1 });
      }));

    it(
      'requests framed two ways or with a malformed head: a 400 or a closed connection, nothing counted',
      () =>
        withServer(adapter, TEST_TIMEOUTS, async (server) => {
          const outcomes = await Promise.all(
            Object.entries(AMBIGUOUS).map(
              async ([name, bytes]) => [name, await talk(server.url, bytes, { waitMs })] as const,
            ),
          );
          for (const [name, outcome] of outcomes) expectRefused(outcome, name);
          expect(await readStats(server.url)).toEqual({ totalRequests: 0, uniqueUsers: 0, sum: 0, avg: 0 });
          expect(await healthy(server.url)).toBe(true);
          const answered = outcomes.filter(([, outcome]) => outcome.answers.length > 0).length;
          const slowest = Math.max(...outcomes.map(([, outcome]) => outcome.elapsedMs));
          console.log(
            `attacks ${adapter}: ${outcomes.length} refused, ${answered} with a 400/431, ` +
              `${outcomes.length - answered} closed without an answer; slowest close ${slowest} ms`,
          );
        }),
      waitMs + 20_000,
    );

    it('what a client is told matches what is counted when a request that ends its connection has company', () =>
      withServer(adapter, TEST_TIMEOUTS, async (server) => {
        // A request with `Connection: close`, or one refused with 413, then an event in the same
        // write: whatever each adapter does with the second, every 200 is one event counted and
        // nothing else is (a 400 for a counted event would make its client send it again).
        const big = JSON.stringify({ userId: 'big', value: 1, pad: 'x'.repeat(5000) });
        const writes = [
          postEvent(server.url, '{"userId":"closer","value":1}', { connection: 'close' }) +
            postEvent(server.url, '{"userId":"behind","value":1}'),
          postEvent(server.url, big) + postEvent(server.url, '{"userId":"behind","value":1}'),
          `${postEvent(server.url, '{"userId":"closer","value":1}', { connection: 'close' })}GARBAGE\r\n\r\n`,
        ];
        let acknowledged = 0;
        for (const bytes of writes) {
          const outcome = await talk(server.url, bytes, { waitMs: 2_000 });
          acknowledged += outcome.answers.filter((answer) => answer.status === 200).length;
        }
        expect((await readStats(server.url)).totalRequests).toBe(acknowledged);
      }));

    it(
      'oversized heads: 1 MiB in one write, 64 KiB in many, 3,000 headers: refused, nothing counted',
      () =>
        withServer(adapter, TEST_TIMEOUTS, async (server) => {
          const big = `x-big: ${'a'.repeat(1 << 20)}\r\n`;
          const headers = Array.from({ length: 3000 }, (_, i) => `x-${i}: 1\r\n`).join('');
          const [oneWrite, many, spread] = await Promise.all([
            talk(
              server.url,
              postEvent(server.url, '{"userId":"big","value":1}').replace('\r\n', `\r\n${big}`),
              {
                waitMs,
              },
            ),
            talk(server.url, `GET /health HTTP/1.1\r\nhost: x\r\n${headers}\r\n`, { waitMs }),
            // Writes 20 ms apart arrive as several reads: uWS keeps at most 4 KiB of a head across reads.
            talk(server.url, `POST /event HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(64 << 10)}\r\n`, {
              waitMs,
              pieces: 8,
              gapMs: 20,
            }),
          ]);
          expectRefused(oneWrite, '1 MiB head');
          expectRefused(many, '3,000 headers');
          expectRefused(spread, '64 KiB head in 8 writes');
          expect((await readStats(server.url)).totalRequests).toBe(0);
          expect(await healthy(server.url)).toBe(true);
        }),
      waitMs + 20_000,
    );
  });
}
