/**
 * Bad input: each case checks the status, the one error shape, and that `/stats` answers the
 * same bytes after the request as before it.
 */
import type { ContractErrorCode as ErrorCode } from '@1mrc/core/http';
import {
  check,
  type ErrorExpectation,
  expectError,
  expectJson,
  healthy,
  JSON_TYPE,
  postEvent,
  send,
  show,
  unchanged,
} from './check.js';
import { chunk, exchange, RawConnection, rawRequest } from './raw-http.js';
import type { Answer, CaseContext, CaseDefinition, Need } from './types.js';

const EVENT = '{"userId":"user_1","value":499.5}';
const EVENT_BYTES = 4 * 1024;
const BATCH_BYTES = 1024 * 1024;
const BATCH_EVENTS = 10_000;

function rejected(
  name: string,
  request: (context: CaseContext) => Promise<Answer>,
  code: ErrorCode,
  expected: ErrorExpectation & { needs?: Need } = {},
): CaseDefinition {
  return {
    name,
    ...(expected.needs ? { needs: expected.needs } : {}),
    run: (context) => unchanged(context, async () => expectError(await request(context), code, expected)),
  };
}

const badEvent = (what: string, body: string, code: ErrorCode): CaseDefinition =>
  rejected(`POST /event rejects ${what} (${code})`, (context) => postEvent(context, body), code);

/** The first answer to raw request bytes on a new connection. */
const raw =
  (bytes: (url: string) => Uint8Array) =>
  async (context: CaseContext): Promise<Answer> =>
    (await exchange(context.url, bytes(context.url)))[0] as Answer;

/** A client that writes `parts` (a request cut short), then hangs up. */
const hangsUpMidBody = (framing: string, parts: (url: string) => readonly Uint8Array[]): CaseDefinition => ({
  name: `a client that hangs up mid-body (${framing}) changes nothing and the server stays healthy`,
  async run(context) {
    await unchanged(context, async () => {
      const connection = await RawConnection.open(context.url);
      for (const part of parts(context.url)) connection.write(part);
      await settle();
      connection.destroy();
      await settle();
      await healthy(context);
    });
  },
});

const events = (n: number): string =>
  JSON.stringify(Array.from({ length: n }, (_, i) => ({ userId: `batch_${i % 7}`, value: i })));

const malformedJson: CaseDefinition[] = [
  badEvent('truncated JSON', '{"userId":"user_1","value":499.5', 'INVALID_JSON'),
  badEvent('unquoted keys', '{userId:"user_1",value:1}', 'INVALID_JSON'),
  badEvent('single quotes', "{'userId':'user_1','value':1}", 'INVALID_JSON'),
  badEvent('a trailing comma', '{"userId":"user_1","value":1,}', 'INVALID_JSON'),
  badEvent('a missing comma', '{"userId":"user_1" "value":1}', 'INVALID_JSON'),
  badEvent('plain text', 'userId=user_1&value=1', 'INVALID_JSON'),
  badEvent('a NaN literal', '{"userId":"user_1","value":NaN}', 'INVALID_JSON'),
  badEvent('an Infinity literal', '{"userId":"user_1","value":Infinity}', 'INVALID_JSON'),
  badEvent('a -Infinity literal', '{"userId":"user_1","value":-Infinity}', 'INVALID_JSON'),
  badEvent('a hex number', '{"userId":"user_1","value":0x10}', 'INVALID_JSON'),
  badEvent('a leading zero', '{"userId":"user_1","value":01}', 'INVALID_JSON'),
  badEvent('trailing garbage', `${EVENT}x`, 'INVALID_JSON'),
  badEvent('two objects', `${EVENT}${EVENT}`, 'INVALID_JSON'),
  badEvent('two objects on two lines', `${EVENT}\n${EVENT}`, 'INVALID_JSON'),
  badEvent('a byte order mark', `\uFEFF${EVENT}`, 'INVALID_JSON'),
  badEvent('an empty body', '', 'INVALID_JSON'),
  badEvent('a whitespace body', ' \n ', 'INVALID_JSON'),
  badEvent('a raw control character in userId', '{"userId":"a\u0001b","value":1}', 'INVALID_JSON'),
  rejected(
    'POST /event rejects invalid UTF-8 bytes in userId (INVALID_JSON)',
    raw((url) =>
      rawRequest(
        url,
        'POST',
        '/event',
        JSON_TYPE,
        Buffer.concat([
          Buffer.from('{"userId":"bad'),
          Buffer.from([0xc3, 0x28, 0xff]),
          Buffer.from('","value":1}'),
        ]),
      ),
    ),
    'INVALID_JSON',
  ),
  rejected(
    'POST /event rejects an overlong UTF-8 encoding (INVALID_JSON)',
    raw((url) =>
      rawRequest(
        url,
        'POST',
        '/event',
        JSON_TYPE,
        // 0xC0 0xAF is '/' encoded in two bytes: never valid UTF-8.
        Buffer.concat([Buffer.from('{"userId":"a'), Buffer.from([0xc0, 0xaf]), Buffer.from('","value":1}')]),
      ),
    ),
    'INVALID_JSON',
  ),
];

const wrongShape: CaseDefinition[] = [
  badEvent('a number userId', '{"userId":1,"value":1}', 'INVALID_EVENT'),
  badEvent('a boolean userId', '{"userId":true,"value":1}', 'INVALID_EVENT'),
  badEvent('an object userId', '{"userId":{"id":"user_1"},"value":1}', 'INVALID_EVENT'),
  badEvent('an array userId', '{"userId":["user_1"],"value":1}', 'INVALID_EVENT'),
  badEvent('a null userId', '{"userId":null,"value":1}', 'INVALID_EVENT'),
  badEvent('a string value "1"', '{"userId":"user_1","value":"1"}', 'INVALID_EVENT'),
  badEvent('a boolean value', '{"userId":"user_1","value":false}', 'INVALID_EVENT'),
  badEvent('an object value', '{"userId":"user_1","value":{"amount":1}}', 'INVALID_EVENT'),
  badEvent('an array value', '{"userId":"user_1","value":[1]}', 'INVALID_EVENT'),
  badEvent('a null value', '{"userId":"user_1","value":null}', 'INVALID_EVENT'),
  badEvent('a missing userId', '{"value":1}', 'INVALID_EVENT'),
  badEvent('a missing value', '{"userId":"user_1"}', 'INVALID_EVENT'),
  badEvent('an empty object', '{}', 'INVALID_EVENT'),
  badEvent('{"userId":null}', '{"userId":null}', 'INVALID_EVENT'),
  badEvent('a null body', 'null', 'INVALID_EVENT'),
  badEvent('a number body', '42', 'INVALID_EVENT'),
  badEvent('a string body', '"user_1"', 'INVALID_EVENT'),
  badEvent('an array body', `[${EVENT}]`, 'INVALID_EVENT'),
  badEvent('value 1e400 (overflows to Infinity)', '{"userId":"user_1","value":1e400}', 'INVALID_EVENT'),
  badEvent('value -1e400', '{"userId":"user_1","value":-1e400}', 'INVALID_EVENT'),
  badEvent('an empty userId', '{"userId":"","value":1}', 'INVALID_EVENT'),
  badEvent('a 257-byte userId', JSON.stringify({ userId: 'u'.repeat(257), value: 1 }), 'INVALID_EVENT'),
  // 86 × '€' is 86 UTF-16 units but 258 UTF-8 bytes: the limit counts bytes.
  badEvent(
    'a userId of 258 UTF-8 bytes in 86 characters',
    JSON.stringify({ userId: '€'.repeat(86), value: 1 }),
    'INVALID_EVENT',
  ),
  badEvent('a lone surrogate escape in userId', '{"userId":"user_\\ud800","value":1}', 'INVALID_EVENT'),
  badEvent('a lone low surrogate escape in userId', '{"userId":"\\udc00","value":1}', 'INVALID_EVENT'),
];

const framing: CaseDefinition[] = [
  rejected(
    'POST /event over 4 KiB is 413 from Content-Length alone, before the body is sent',
    raw((url) =>
      rawRequest(url, 'POST', '/event', { ...JSON_TYPE, 'content-length': String(EVENT_BYTES + 1) }),
    ),
    'PAYLOAD_TOO_LARGE',
  ),
  rejected(
    'POST /event over 4 KiB with its body is 413',
    (context) =>
      postEvent(context, JSON.stringify({ userId: 'user_1', value: 1, pad: 'x'.repeat(EVENT_BYTES) })),
    'PAYLOAD_TOO_LARGE',
  ),
  {
    name: 'POST /event chunked past 4 KiB is cut off with 413',
    async run(context) {
      await unchanged(context, async () => {
        const connection = await RawConnection.open(context.url);
        try {
          // Never finished: the server must stop at its limit, not wait for the end of the body.
          // One write, so the server has read all of it when it answers and closes: input left
          // unread would make its close a reset, which may destroy the answer before we read it.
          const chunks = [chunk('{"userId":"user_1","value":1,"pad":"')];
          for (let sent = 0; sent <= EVENT_BYTES; sent += 512) chunks.push(chunk('x'.repeat(512)));
          const head = rawRequest(context.url, 'POST', '/event', {
            ...JSON_TYPE,
            'transfer-encoding': 'chunked',
          });
          connection.write(Buffer.concat([head, ...chunks]));
          expectError(await connection.answer(), 'PAYLOAD_TOO_LARGE');
        } finally {
          connection.destroy();
        }
      });
    },
  },
  rejected(
    'POST /events over 1 MiB is 413 from Content-Length alone',
    raw((url) =>
      rawRequest(url, 'POST', '/events', { ...JSON_TYPE, 'content-length': String(BATCH_BYTES + 1) }),
    ),
    'PAYLOAD_TOO_LARGE',
  ),
  {
    name: 'Content-Length is obeyed: the bytes after the body are the next request',
    async run(context) {
      await unchanged(context, async () => {
        // `{"userId":"user_1"` (18 bytes) is the body; `GET /health ...` must be read as a request.
        const bytes = Buffer.concat([
          rawRequest(
            context.url,
            'POST',
            '/event',
            { ...JSON_TYPE, 'content-length': '18' },
            '{"userId":"user_1"',
          ),
          rawRequest(context.url, 'GET', '/health'),
        ]);
        const [first, second] = (await exchange(context.url, bytes, 2)) as [Answer, Answer];
        expectError(first, 'INVALID_JSON');
        expectJson(second, 200, '{"status":"ok"}');
      });
    },
  },
  // What arrives is a complete event by itself; counting it would be counting a half request.
  hangsUpMidBody('Content-Length', (url) => [
    rawRequest(url, 'POST', '/event', { ...JSON_TYPE, 'content-length': '100' }, EVENT),
  ]),
  hangsUpMidBody('chunked', (url) => [
    rawRequest(url, 'POST', '/event', { ...JSON_TYPE, 'transfer-encoding': 'chunked' }),
    chunk(EVENT),
  ]),
  {
    name: 'a malformed request head gets a 400 or a closed connection, and the server stays healthy',
    async run(context) {
      await unchanged(context, async () => {
        const connection = await RawConnection.open(context.url);
        try {
          connection.write(
            rawRequest(context.url, 'POST', '/event', { ...JSON_TYPE, 'content-length': 'abc' }, EVENT),
          );
          const closed = await connection.closedWithin(2_000);
          const answers = closed ? await connection.answers(0) : await connection.answers(1);
          const first = answers[0];
          check(
            first === undefined || first.status === 400,
            `expected 400 or a closed connection, got ${first && show(first)}`,
          );
        } finally {
          connection.destroy();
        }
        await healthy(context);
      });
    },
  },
];

const routing: CaseDefinition[] = [
  ...(
    [
      ['GET', '/event', 'POST'],
      ['PUT', '/event', 'POST'],
      ['DELETE', '/event', 'POST'],
      ['PATCH', '/events', 'POST'],
      ['GET', '/events', 'POST'],
      ['PUT', '/stats', 'GET'],
      ['POST', '/stats', 'GET'],
      ['DELETE', '/stats', 'GET'],
      ['POST', '/health', 'GET'],
    ] as const
  ).map(([method, path, allow]) =>
    rejected(
      `${method} ${path} is 405 with Allow: ${allow}`,
      (context) => send(context, method, path, method === 'POST' ? { headers: JSON_TYPE, body: EVENT } : {}),
      'METHOD_NOT_ALLOWED',
      { allow },
    ),
  ),
  ...['/', '/nope', '/Event', '/event/', '/events/extra', '/stats.json'].map((path) =>
    rejected(
      `POST ${path} is 404`,
      (context) => send(context, 'POST', path, { headers: JSON_TYPE, body: EVENT }),
      'NOT_FOUND',
    ),
  ),
  rejected('GET /nope is 404', (context) => send(context, 'GET', '/nope'), 'NOT_FOUND'),
];

const mediaTypes: CaseDefinition[] = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/x-ndjson',
].map((type) =>
  rejected(
    `POST /event with Content-Type ${type} is 415`,
    (context) => send(context, 'POST', '/event', { headers: { 'content-type': type }, body: EVENT }),
    'UNSUPPORTED_MEDIA_TYPE',
  ),
);

const batches: CaseDefinition[] = [
  rejected(
    'POST /events with a bad event at index 3 is 400 naming 3, nothing counted',
    (context) =>
      send(context, 'POST', '/events', {
        headers: JSON_TYPE,
        body: `[${EVENT},${EVENT},${EVENT},{"userId":"user_1","value":"3"},${EVENT}]`,
      }),
    'INVALID_EVENT',
    { index: 3 },
  ),
  rejected(
    'POST /events NDJSON with a bad line at index 2 is 400 naming 2, nothing counted',
    (context) =>
      send(context, 'POST', '/events', {
        headers: { 'content-type': 'application/x-ndjson' },
        body: `${EVENT}\n${EVENT}\n{"userId":\n${EVENT}\n`,
      }),
    'INVALID_JSON',
    { index: 2 },
  ),
  rejected(
    'POST /events with a bad last event (index 9,999) counts none of the 9,999 good ones',
    (context) =>
      send(context, 'POST', '/events', {
        headers: JSON_TYPE,
        body: `${events(BATCH_EVENTS - 1).slice(0, -1)},{"userId":"","value":1}]`,
      }),
    'INVALID_EVENT',
    { index: BATCH_EVENTS - 1 },
  ),
  rejected(
    `POST /events with ${BATCH_EVENTS + 1} events is 400`,
    (context) => send(context, 'POST', '/events', { headers: JSON_TYPE, body: events(BATCH_EVENTS + 1) }),
    'INVALID_BATCH',
  ),
  rejected(
    'POST /events with an object instead of an array is 400',
    (context) => send(context, 'POST', '/events', { headers: JSON_TYPE, body: EVENT }),
    'INVALID_BATCH',
  ),
  rejected(
    'POST /events with malformed JSON is 400',
    (context) => send(context, 'POST', '/events', { headers: JSON_TYPE, body: `[${EVENT},` }),
    'INVALID_JSON',
  ),
  rejected(
    'POST /events with Content-Type text/plain is 415',
    (context) =>
      send(context, 'POST', '/events', { headers: { 'content-type': 'text/plain' }, body: `[${EVENT}]` }),
    'UNSUPPORTED_MEDIA_TYPE',
  ),
];

const reset: CaseDefinition[] = [
  rejected(
    'POST /reset is 404 when no reset token is configured',
    (context) => send(context, 'POST', '/reset', { headers: { authorization: 'Bearer anything' } }),
    'NOT_FOUND',
    { needs: 'no-reset-token' },
  ),
  rejected(
    'POST /reset with a wrong token is 401',
    (context) =>
      send(context, 'POST', '/reset', { headers: { authorization: `Bearer ${context.resetToken}x` } }),
    'UNAUTHORIZED',
    { needs: 'reset-token' },
  ),
  rejected(
    'POST /reset without Authorization is 401',
    (context) => send(context, 'POST', '/reset'),
    'UNAUTHORIZED',
    { needs: 'reset-token' },
  ),
  rejected(
    'POST /reset with the token in another scheme is 401',
    (context) =>
      send(context, 'POST', '/reset', { headers: { authorization: `Basic ${context.resetToken}` } }),
    'UNAUTHORIZED',
    { needs: 'reset-token' },
  ),
  rejected(
    'GET /reset is 405 with Allow: POST when a reset token is configured',
    (context) =>
      send(context, 'GET', '/reset', { headers: { authorization: `Bearer ${context.resetToken}` } }),
    'METHOD_NOT_ALLOWED',
    { allow: 'POST', needs: 'reset-token' },
  ),
];

/** Gives the server a moment to act on what it received (a wrong answer here shows as a pass, never a flake). */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

export const rejectCases: readonly CaseDefinition[] = [
  ...malformedJson,
  ...wrongShape,
  ...framing,
  ...routing,
  ...mediaTypes,
  ...batches,
  ...reset,
];
