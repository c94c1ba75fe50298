/**
 * What must work. Cases on a shared server compare `/stats` before and after and post
 * `value: 0` (which leaves any exact sum as it was); cases that check sums exactly ask for a fresh server.
 */
import { randomUUID } from 'node:crypto';
import {
  check,
  expectError,
  expectJson,
  JSON_TYPE,
  postEvent,
  type StatsValues,
  send,
  show,
  stats,
  statsText,
} from './check.js';
import { chunk, exchange, RawConnection, rawRequest } from './raw-http.js';
import type { Answer, CaseContext, CaseDefinition } from './types.js';

const OK = '{"status":"ok"}';
const ZERO = '{"totalRequests":0,"uniqueUsers":0,"sum":0,"avg":0}';

/** A user id no other case (or earlier run) has used. */
const newUser = (): string => `conformance_${randomUUID()}`;
const zeroEvent = (userId: string): string => JSON.stringify({ userId, value: 0 });

/** Checks `/stats` moved by exactly `events` events and `users` new users, sum unchanged. */
async function counts(
  context: CaseContext,
  action: () => Promise<void>,
  moved: { events: number; users: number },
): Promise<void> {
  const before = await stats(context);
  await action();
  const after = await stats(context);
  const expected: StatsValues = {
    totalRequests: before.totalRequests + moved.events,
    uniqueUsers: before.uniqueUsers + moved.users,
    sum: before.sum,
    avg: 0,
  };
  check(
    after.totalRequests === expected.totalRequests &&
      after.uniqueUsers === expected.uniqueUsers &&
      Object.is(after.sum, expected.sum),
    `expected +${moved.events} events, +${moved.users} users and the same sum; ` +
      `before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`,
  );
}

const accepted = (answer: Answer): void => expectJson(answer, 200, OK);

/** A case that sends one zero-valued event for a new user some way and expects it counted. */
const countsOne = (
  name: string,
  post: (context: CaseContext, body: string) => Promise<Answer>,
): CaseDefinition => ({
  name,
  run: (context) =>
    counts(context, async () => accepted(await post(context, zeroEvent(newUser()))), { events: 1, users: 1 }),
});

const rawFirst = async (context: CaseContext, bytes: Uint8Array): Promise<Answer> =>
  (await exchange(context.url, bytes))[0] as Answer;

const exact: CaseDefinition[] = [
  {
    name: 'POST /event answers 200 {"status":"ok"} and /stats counts it exactly',
    needs: 'fresh',
    async run(context) {
      expectJson(await send(context, 'GET', '/stats'), 200, ZERO);
      accepted(await postEvent(context, '{"userId":"user_1","value":499.5}'));
      expectJson(
        await send(context, 'GET', '/stats'),
        200,
        '{"totalRequests":1,"uniqueUsers":1,"sum":499.5,"avg":499.5}',
      );
    },
  },
  {
    name: 'POST /events JSON adds every event: exact totals, users, sum and avg',
    needs: 'fresh',
    async run(context) {
      const body = JSON.stringify([
        { userId: 'a', value: 1.5 },
        { userId: 'b', value: 2.25 },
        { userId: 'a', value: -0.75 },
      ]);
      expectJson(await send(context, 'POST', '/events', { headers: JSON_TYPE, body }), 200, '{"accepted":3}');
      expectJson(
        await send(context, 'GET', '/stats'),
        200,
        '{"totalRequests":3,"uniqueUsers":2,"sum":3,"avg":1}',
      );
    },
  },
  {
    name: 'POST /events NDJSON (trailing newline) adds every event',
    needs: 'fresh',
    async run(context) {
      const body = '{"userId":"a","value":10}\n{"userId":"b","value":-4}\n{"userId":"c","value":0.5}\n';
      const headers = { 'content-type': 'application/x-ndjson' };
      expectJson(await send(context, 'POST', '/events', { headers, body }), 200, '{"accepted":3}');
      expectJson(
        await send(context, 'GET', '/stats'),
        200,
        '{"totalRequests":3,"uniqueUsers":3,"sum":6.5,"avg":2.1666666666666665}',
      );
    },
  },
  {
    name: 'the sum is exact, not a running float sum: 1e16 + 1 + 1 - 1e16 = 2',
    needs: 'fresh',
    async run(context) {
      for (const value of [1e16, 1, 1, -1e16])
        accepted(await postEvent(context, JSON.stringify({ userId: 'u', value })));
      expectJson(
        await send(context, 'GET', '/stats'),
        200,
        '{"totalRequests":4,"uniqueUsers":1,"sum":2,"avg":0.5}',
      );
    },
  },
  {
    name: 'POST /reset with the right token answers 200 and zeroes /stats',
    needs: 'reset-token',
    async run(context) {
      accepted(await postEvent(context, zeroEvent(newUser())));
      const answer = await send(context, 'POST', '/reset', {
        headers: { authorization: `Bearer ${context.resetToken}` },
      });
      expectJson(answer, 200, OK);
      expectJson(await send(context, 'GET', '/stats'), 200, ZERO);
    },
  },
];

const lenient: CaseDefinition[] = [
  countsOne('POST /event with application/json is counted once', (context, body) => postEvent(context, body)),
  countsOne('POST /event without Content-Type is accepted', (context, body) =>
    rawFirst(context, rawRequest(context.url, 'POST', '/event', {}, body)),
  ),
  countsOne('POST /event with application/json; charset=utf-8 is accepted', (context, body) =>
    send(context, 'POST', '/event', { headers: { 'content-type': 'application/json; charset=utf-8' }, body }),
  ),
  countsOne('POST /event with Content-Type in another case (Application/JSON) is accepted', (context, body) =>
    send(context, 'POST', '/event', { headers: { 'content-type': 'Application/JSON' }, body }),
  ),
  countsOne('POST /event?x=1: the query string is ignored', (context, body) =>
    send(context, 'POST', '/event?x=1&userId=ignored', { headers: JSON_TYPE, body }),
  ),
  countsOne('POST /event with unknown fields ignores them', (context, body) =>
    postEvent(context, `${body.slice(0, -1)},"extra":{"nested":[1,null]},"ts":"2024-01-01"}`),
  ),
  countsOne('POST /event with a chunked body is accepted', (context, body) =>
    rawFirst(
      context,
      Buffer.concat([
        rawRequest(context.url, 'POST', '/event', { ...JSON_TYPE, 'transfer-encoding': 'chunked' }),
        chunk(body.slice(0, 5)),
        chunk(body.slice(5)),
        chunk(''),
      ]),
    ),
  ),
  countsOne('POST /event whose body arrives in pieces over time is accepted', async (context, body) => {
    const connection = await RawConnection.open(context.url);
    try {
      const request = rawRequest(context.url, 'POST', '/event', JSON_TYPE, body);
      const cut = request.length - 7;
      connection.write(request.subarray(0, cut));
      await new Promise((resolve) => setTimeout(resolve, 30));
      connection.write(request.subarray(cut));
      return await connection.answer();
    } finally {
      connection.destroy();
    }
  }),
  countsOne(
    'POST /event with Connection: close is answered, then the connection closes',
    async (context, body) => {
      const connection = await RawConnection.open(context.url);
      try {
        connection.write(
          rawRequest(context.url, 'POST', '/event', { ...JSON_TYPE, connection: 'close' }, body),
        );
        const answer = await connection.answer();
        check(
          await connection.closedWithin(5_000),
          'the server kept the connection open after Connection: close',
        );
        return answer;
      } finally {
        connection.destroy();
      }
    },
  ),
  {
    name: 'user ids are case-sensitive: User_x and user_x are two users',
    run: (context) =>
      counts(
        context,
        async () => {
          const id = newUser();
          accepted(await postEvent(context, zeroEvent(`U${id}`)));
          accepted(await postEvent(context, zeroEvent(`u${id}`)));
        },
        { events: 2, users: 2 },
      ),
  },
  {
    name: 'a user id is compared as text: an escaped \\u00e9 and a literal é are one user',
    run: (context) =>
      counts(
        context,
        async () => {
          const id = newUser();
          accepted(await postEvent(context, `{"userId":"${id}_\\u00e9","value":0}`));
          accepted(await postEvent(context, `{"userId":"${id}_é","value":0}`));
        },
        { events: 2, users: 1 },
      ),
  },
  {
    name: 'a 256-byte userId is accepted, and 255 bytes made of 3-byte characters',
    run: (context) =>
      counts(
        context,
        async () => {
          const id = newUser();
          accepted(await postEvent(context, zeroEvent(id + 'x'.repeat(256 - id.length))));
          // ASCII id + 3-byte '€' to 255 bytes: more than 85 UTF-16 units is fine, bytes are what count.
          accepted(await postEvent(context, zeroEvent(id + '€'.repeat(Math.floor((255 - id.length) / 3)))));
        },
        { events: 2, users: 2 },
      ),
  },
  {
    name: 'POST /events with [] accepts 0 and changes nothing',
    run: (context) =>
      counts(
        context,
        async () =>
          expectJson(
            await send(context, 'POST', '/events', { headers: JSON_TYPE, body: '[]' }),
            200,
            '{"accepted":0}',
          ),
        { events: 0, users: 0 },
      ),
  },
  {
    name: 'POST /events with exactly 10,000 events counts 10,000',
    run: (context) =>
      counts(
        context,
        async () => {
          const id = newUser();
          const body = JSON.stringify(
            Array.from({ length: 10_000 }, (_, i) => ({ userId: `${id}_${i % 10}`, value: 0 })),
          );
          expectJson(
            await send(context, 'POST', '/events', { headers: JSON_TYPE, body }),
            200,
            '{"accepted":10000}',
          );
        },
        { events: 10_000, users: 10 },
      ),
  },
];

const connections: CaseDefinition[] = [
  {
    name: 'keep-alive: 50 requests one after another on one connection',
    run: (context) =>
      counts(
        context,
        async () => {
          const connection = await RawConnection.open(context.url);
          try {
            const id = newUser();
            for (let i = 0; i < 50; i++) {
              connection.write(
                rawRequest(context.url, 'POST', '/event', JSON_TYPE, zeroEvent(`${id}_${i % 5}`)),
              );
              accepted(await connection.answer(i));
            }
            check(!connection.closed, 'the server closed a keep-alive connection');
          } finally {
            connection.destroy();
          }
        },
        { events: 50, users: 5 },
      ),
  },
  {
    name: 'pipelining: 10 requests in one write are answered in order',
    async run(context) {
      const before = await stats(context);
      const id = newUser();
      const requests: [Buffer, (answer: Answer) => void][] = [
        [rawRequest(context.url, 'POST', '/event', JSON_TYPE, zeroEvent(`${id}_a`)), accepted],
        [rawRequest(context.url, 'GET', '/health'), (a) => expectJson(a, 200, OK)],
        [
          rawRequest(context.url, 'POST', '/event', JSON_TYPE, '{"userId":1}'),
          (a) => expectError(a, 'INVALID_EVENT'),
        ],
        [rawRequest(context.url, 'GET', '/nope'), (a) => expectError(a, 'NOT_FOUND')],
        [rawRequest(context.url, 'POST', '/event', JSON_TYPE, zeroEvent(`${id}_b`)), accepted],
        [
          rawRequest(context.url, 'PUT', '/stats'),
          (a) => expectError(a, 'METHOD_NOT_ALLOWED', { allow: 'GET' }),
        ],
        [
          rawRequest(context.url, 'POST', '/event', JSON_TYPE, '{"userId":'),
          (a) => expectError(a, 'INVALID_JSON'),
        ],
        [
          rawRequest(
            context.url,
            'POST',
            '/events',
            JSON_TYPE,
            `[${zeroEvent(`${id}_c`)},${zeroEvent(`${id}_a`)}]`,
          ),
          (a) => expectJson(a, 200, '{"accepted":2}'),
        ],
        [
          rawRequest(context.url, 'POST', '/event', { 'content-type': 'text/plain' }, zeroEvent(id)),
          (a) => expectError(a, 'UNSUPPORTED_MEDIA_TYPE'),
        ],
        [
          rawRequest(context.url, 'GET', '/stats'),
          (a) => {
            check(a.status === 200, `GET /stats answered ${show(a)}`);
            const after = JSON.parse(a.body.toString('utf8')) as StatsValues;
            check(
              after.totalRequests === before.totalRequests + 4 &&
                after.uniqueUsers === before.uniqueUsers + 3,
              `the pipelined /stats must see the 4 events before it: before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`,
            );
          },
        ],
      ];
      const answers = await exchange(
        context.url,
        Buffer.concat(requests.map(([bytes]) => bytes)),
        requests.length,
      );
      for (const [i, answer] of answers.entries()) requests[i]?.[1](answer);
    },
  },
];

const reads: CaseDefinition[] = [
  {
    name: 'GET /health answers 200 {"status":"ok"}',
    run: async (context) => expectJson(await send(context, 'GET', '/health'), 200, OK),
  },
  {
    name: 'GET /health?probe=1 ignores the query string',
    run: async (context) => expectJson(await send(context, 'GET', '/health?probe=1'), 200, OK),
  },
  {
    name: 'GET /stats answers JSON with keys totalRequests, uniqueUsers, sum, avg in that order',
    async run(context) {
      const answer = await send(context, 'GET', '/stats');
      const text = answer.body.toString('utf8');
      check(
        answer.status === 200 && (answer.headers['content-type'] ?? '').startsWith('application/json'),
        show(answer),
      );
      const parsed = JSON.parse(text) as StatsValues;
      check(Object.keys(parsed).join() === 'totalRequests,uniqueUsers,sum,avg', `keys out of order: ${text}`);
      check(
        Number.isSafeInteger(parsed.totalRequests) && parsed.totalRequests >= 0,
        `totalRequests: ${text}`,
      );
      check(Number.isSafeInteger(parsed.uniqueUsers) && parsed.uniqueUsers >= 0, `uniqueUsers: ${text}`);
      check(
        Number.isFinite(parsed.sum) && Number.isFinite(parsed.avg),
        `sum and avg must be finite: ${text}`,
      );
      // No spaces, shortest number forms: the bytes JSON.stringify gives for the same values.
      check(text === JSON.stringify(parsed), `not in canonical JSON form: ${text}`);
    },
  },
  {
    name: 'GET /stats on a fresh server is all zeros',
    needs: 'fresh',
    run: async (context) => expectJson(await send(context, 'GET', '/stats'), 200, ZERO),
  },
  {
    name: 'GET /stats?x=1 ignores the query string and reading changes nothing',
    async run(context) {
      const first = await statsText(context);
      const second = await send(context, 'GET', '/stats?x=1');
      expectJson(second, 200, first);
    },
  },
];

export const acceptCases: readonly CaseDefinition[] = [...exact, ...lenient, ...connections, ...reads];
