/**
 * The HTTP/1.1 corpus (http11-corpus.ts) on every adapter, each case on its own server, checked
 * against one rule: never count an event without answering 200 for it, never answer one request
 * twice, never read leftover bytes as a new request, and answer or close promptly. Error answers
 * must be the contract's own (JSON, its code and status); refusals end the connection.
 * What a uWS build cannot do is listed in `KNOWN_LIMITS`, and checked as it is, so that a build
 * that does better shows up here. docs/reliability.md has the results per adapter.
 */

import { connect } from 'node:net';
import { createStats } from '@1mrc/core';
import { createContract, HTTP_STATUS, isContractErrorCode, type Reply } from '@1mrc/core/http';
import { type AdapterName, type Outcome, readStats, talk, testAdapters, withServer } from '@1mrc/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { CORPUS, type CorpusCase } from './http11-corpus.js';

/**
 * Long next to an answer on loopback (milliseconds), short next to the servers' own timeouts
 * (node:http and fastify 20 s for a head by default, uWS 10 s), so a server that leaves a
 * request hanging until a timeout closes it cannot pass for one that answered.
 */
const PROMPT_MS = 5_000;

/**
 * Heads this uWebSockets.js build never hands to JavaScript: its parser neither answers nor
 * closes, and the connection waits for its 10 s timeout. Nothing the adapter does can change it.
 */
const UWS_NEVER_REACH_JS: Readonly<Record<string, string>> = {
  'HOST-MISSING': 'an HTTP/1.1 head without Host',
  'TARGET-ABSOLUTE-FORM': 'an absolute-form target',
  'TARGET-ABSOLUTE-FORM-EVENT': 'an absolute-form target',
  'TARGET-ASTERISK-GET': 'an asterisk-form target',
  'TARGET-NO-SLASH': 'a target without a leading slash',
  'HTTP10-NO-HOST': 'HTTP/1.0',
  'HTTP10-KEEP-ALIVE': 'HTTP/1.0',
  'HTTP10-EVENT': 'HTTP/1.0',
  'SMUG-TE-HTTP10': 'HTTP/1.0',
  'HEAD-BARE-LF': 'bare LF line ends',
  'HEAD-OBS-FOLD': 'an obs-fold line',
  'HEAD-SPACE-BEFORE-COLON': 'a space before a colon',
  'HEAD-TAB-IN-REQUEST-LINE': 'a tab in the request line',
  'HEAD-INVALID-VERSION': 'HTTP/1.2',
  'HEAD-CR-ONLY': 'CR-only line ends',
  'HEAD-LEADING-CRLF': 'an empty line before the request line',
};

const KNOWN_LIMITS: Readonly<Record<AdapterName, Readonly<Record<string, string>>>> = {
  node: {},
  fastify: {},
  uws: UWS_NEVER_REACH_JS,
};

function expectContractAnswers(outcome: Outcome, what: string): void {
  for (const answer of outcome.answers) {
    if (answer.status === 200) continue;
    expect(answer.headers['content-type'], `${what}: ${answer.status} without the contract's type`).toBe(
      'application/json',
    );
    const body = JSON.parse(answer.body.toString('utf8')) as { error?: { code?: unknown } };
    const code = body.error?.code;
    expect(isContractErrorCode(code) && HTTP_STATUS[code] === answer.status, `${what}: ${answer.body}`).toBe(
      true,
    );
  }
}

async function expectRule(adapter: AdapterName, c: CorpusCase, url: string, outcome: Outcome): Promise<void> {
  const what = `${adapter} ${c.id}`;
  const statuses = outcome.answers.map((answer) => answer.status);
  const ok = statuses.filter((status) => status === 200).length;
  const counted = (await readStats(url)).totalRequests;

  // Never count without a 200; never a 200 without the count.
  expect(counted, `${what}: counted ${counted}, answered ${statuses}`).toBe(c.events ? ok : 0);
  // Never answer one request twice, never answer a request read out of leftover bytes.
  expect(statuses.length, `${what}: answered ${statuses}`).toBeLessThanOrEqual(c.requests);
  for (const status of statuses) expect(c.statuses, `${what}: answered ${statuses}`).toContain(status);
  expectContractAnswers(outcome, what);

  if (c.incomplete) {
    expect(ok, `${what}: a request cut short was answered 200`).toBe(0);
    return;
  }
  // Promptly: all answered, or closed (with an answer unless a close alone is allowed).
  if (c.closes) {
    expect(outcome.closed, `${what}: left open after ${statuses} (${outcome.elapsedMs} ms)`).toBe(true);
  }
  const answeredAll = statuses.length === c.requests;
  const closedInstead = outcome.closed && (c.mayClose === true || statuses.length > 0);
  expect(
    answeredAll || closedInstead,
    `${what}: ${statuses} in ${outcome.elapsedMs} ms, closed ${outcome.closed}`,
  ).toBe(true);
  const last = outcome.answers.at(-1);
  if (c.closes && last !== undefined)
    expect(last.headers['connection'], `${what}: no Connection: close`).toBe('close');
}

/** What each case got, `status,status` or `closed` or `none`, printed per adapter for docs/reliability.md. */
function summary(outcome: Outcome): string {
  const statuses = outcome.answers.map((answer) => answer.status).join(',');
  return `${statuses || 'no answer'}${outcome.closed ? ', closed' : ''}`;
}

for (const adapter of testAdapters) {
  describe.concurrent(`HTTP/1.1 corpus: ${adapter}`, () => {
    const seen = new Map<string, string>();
    afterAll(() => {
      const lines = CORPUS.map((c) => `  ${c.id}: ${seen.get(c.id) ?? 'not run'}`);
      console.log(`HTTP/1.1 corpus ${adapter}:\n${lines.join('\n')}`);
    });
    for (const c of CORPUS) {
      const limit = KNOWN_LIMITS[adapter][c.id];
      const name = limit === undefined ? c.id : `${c.id} (known limit: ${limit} never reaches JavaScript)`;
      it(name, () =>
        withServer(adapter, {}, async (server) => {
          const outcome = await talk(server.url, c.bytes, {
            waitMs: PROMPT_MS,
            ...(c.closes || c.incomplete ? {} : { answers: c.requests }),
          });
          seen.set(c.id, summary(outcome));
          if (limit !== undefined) {
            // As it is, and nothing worse: no answer, nothing counted, the server still serving.
            expect(outcome.answers.map((answer) => answer.status)).toEqual([]);
            expect((await readStats(server.url)).totalRequests).toBe(0);
            return;
          }
          await expectRule(adapter, c, server.url, outcome);
        }),
      );
    }
  });
}

/** What each adapter answers for `bytes`, as status, type, length and body. */
async function answerOf(adapter: AdapterName, bytes: string): Promise<string[]> {
  return withServer(adapter, {}, async (server) => {
    const outcome = await talk(server.url, bytes, { waitMs: PROMPT_MS, answers: 1 });
    return outcome.answers.map((answer) =>
      [answer.status, answer.headers['content-type'], answer.headers['content-length'], answer.body].join(
        ' ',
      ),
    );
  });
}

/** The raw bytes a server sends for `bytes`, until it has sent two heads or `PROMPT_MS` passed. */
function headAnswer(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = '';
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received);
    };
    const timer = setTimeout(done, PROMPT_MS);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      // The second answer is whole once its body (`{"status":"ok"}`) arrived.
      if (/HTTP\/1\.1 200 [\s\S]*\r\n\r\n\{"status":"ok"\}/.test(received)) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(bytes);
  });
}

describe('one answer from the contract, the same on every adapter', () => {
  it('the framing refusal: a coding other than chunked, a repeated Content-Length', async () => {
    const contract = createContract({ store: createStats() });
    const { status, headers, body } = contract.badRequest;
    const want = [
      [status, headers['content-type'], body.byteLength, new TextDecoder().decode(body)].join(' '),
    ];
    // Nothing after the head: uWS aborts a refused connection when more bytes follow. (It closes
    // Content-Length with Transfer-Encoding itself, before JavaScript sees the request.)
    const heads = ['transfer-encoding: gzip', 'content-length: 0\r\ncontent-length: 0'];
    for (const head of heads) {
      const bytes = `POST /event HTTP/1.1\r\nhost: 127.0.0.1\r\n${head}\r\n\r\n`;
      for (const adapter of testAdapters)
        expect(await answerOf(adapter, bytes), `${adapter} ${head}`).toEqual(want);
    }
  });

  it('HEAD: the GET answer’s status, headers and length, without its body', async () => {
    const contract = createContract({ store: createStats() });
    const reply = contract.route({ method: 'HEAD', url: '/event', host: 'x', version: '1.1' });
    const head = reply.limit === undefined ? (reply.reply as Reply) : undefined;
    const get = contract.route({ method: 'GET', url: '/event', host: 'x', version: '1.1' });
    const getReply = get.limit === undefined ? (get.reply as Reply) : undefined;
    expect(head?.status).toBe(405);
    expect(head?.body.byteLength).toBe(0);
    expect(head?.headers['content-length']).toBe(String(getReply?.body.byteLength));
    // The HEAD answer's head, then at once the next answer: no body bytes in between.
    const want = new RegExp(
      `^HTTP/1\\.1 405 [\\s\\S]*\\r\\ncontent-length: ${getReply?.body.byteLength}\\r\\n[\\s\\S]*?\\r\\n\\r\\nHTTP/1\\.1 200 `,
      'i',
    );
    const bytes =
      'HEAD /event HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\nGET /health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n';
    for (const adapter of testAdapters) {
      const answer = await withServer(adapter, {}, (server) => headAnswer(server.url, bytes));
      expect(answer, adapter).toMatch(want);
    }
  });
});
