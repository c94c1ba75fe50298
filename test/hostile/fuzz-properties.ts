/**
 * Fuzzing properties over real sockets, shared by test/hostile/fuzz.test.ts (short) and
 * `pnpm fuzz` (long):
 * - bodies: arbitrary bytes, arbitrary JSON values and event-like objects as `POST /event`,
 *   `POST /events` and NDJSON bodies. Each answer must be what `parseEvent` / `parseBatch`
 *   say of that body, and `/stats` must equal a reference fed only the bodies they accept.
 * - heads: arbitrary request heads (grammar-shaped, with broken line ends and odd headers, or
 *   plain random bytes) on fresh connections. Each answer must be a contract status or an HTTP
 *   library's refusal, or no answer with the connection closed or waiting; nothing counted;
 *   the server healthy after each batch.
 */

import { createStats, parseBatch, parseEvent } from '@1mrc/core';
import { type ContractError, HTTP_STATUS } from '@1mrc/core/http';
import { type Answer, healthy, RawConnection, rawRequest, readStats, talk } from '@1mrc/testkit';

type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ContractError };

import fc from 'fast-check';
import { CONTRACT_STATUSES, HEAD_REFUSALS, LEAK } from './limits.js';

const encoder = new TextEncoder();
const EVENT_LIMIT = 4 * 1024;
const PARSE = { maxUserIdBytes: 256 };

type Route = 'event' | 'events' | 'ndjson';

interface BodyCase {
  readonly route: Route;
  readonly body: Uint8Array;
}

const anyValue = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.string(),
  fc.constantFrom(null, true, false, '1', '', [], {}, Number.MAX_VALUE, Number.MIN_VALUE, -0, '1e3'),
);
const userId = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 }), anyValue);
const eventLike = fc.oneof(
  fc.record({ userId, value: fc.oneof(fc.double(), fc.integer(), anyValue) }, { requiredKeys: [] }),
  fc.record({ userId: fc.string({ minLength: 1, maxLength: 12 }), value: fc.double({ noNaN: true }) }),
  fc.dictionary(fc.string({ maxLength: 8 }), anyValue, { maxKeys: 3 }),
);
const json = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value) ?? 'undefined');

/** A valid event with one byte replaced, inserted or removed. */
const mutatedEvent = fc
  .tuple(
    fc.record({ userId: fc.string({ minLength: 1, maxLength: 8 }), value: fc.integer() }),
    fc.nat(),
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom('replace', 'insert', 'remove'),
  )
  .map(([event, at, byte, how]) => {
    const bytes = [...json(event)];
    const i = at % bytes.length;
    if (how === 'replace') bytes[i] = byte;
    else if (how === 'insert') bytes.splice(i, 0, byte);
    else bytes.splice(i, 1);
    return Uint8Array.from(bytes);
  });

/** Bodies JSON.stringify cannot write: overflow, lone surrogates, a BOM, two values. */
const rawEdges = fc
  .constantFrom(
    '{"userId":"u","value":1e400}',
    '{"userId":"u","value":-1e-400}',
    '{"userId":"\\ud800","value":1}',
    '\ufeff{"userId":"u","value":1}',
    '{"userId":"u","value":1} ',
    '{"userId":"u","value":1}\n{"userId":"v","value":2}',
    '{"userId":"u","value":1,"value":"x"}',
    '{"userId":"u","value":0x10}',
  )
  .map((text) => encoder.encode(text));

const eventBody = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  rawEdges,
  fc.jsonValue({ maxDepth: 3 }).map(json),
  eventLike.map(json),
  mutatedEvent,
  fc.string({ unit: 'binary', maxLength: 60 }).map((text) => encoder.encode(text)),
);
const batchBody = fc.oneof(
  fc.array(eventLike, { maxLength: 6 }).map(json),
  fc.array(fc.oneof(eventLike, anyValue), { maxLength: 4 }).map(json),
  eventBody,
);
const ndjsonBody = fc.oneof(
  fc
    .tuple(
      fc.array(
        eventLike.map((event) => JSON.stringify(event)),
        { maxLength: 6 },
      ),
      fc.constantFrom('\n', '\r\n'),
    )
    .map(([lines, end]) => encoder.encode(lines.join(end))),
  eventBody,
);

const bodyCase: fc.Arbitrary<BodyCase> = fc.oneof(
  eventBody.map((body) => ({ route: 'event' as const, body })),
  batchBody.map((body) => ({ route: 'events' as const, body })),
  ndjsonBody.map((body) => ({ route: 'ndjson' as const, body })),
);

function request(url: string, { route, body }: BodyCase): Uint8Array {
  const type = route === 'ndjson' ? 'application/x-ndjson' : 'application/json';
  return rawRequest(url, 'POST', route === 'event' ? '/event' : '/events', { 'content-type': type }, body);
}

/** What the contract must answer for `body`, from the core's own parsers. */
function expected({ route, body }: BodyCase): Result<readonly { userId: string; value: number }[]> {
  if (route === 'event') {
    if (body.byteLength > EVENT_LIMIT)
      return { ok: false, error: { code: 'PAYLOAD_TOO_LARGE', message: '' } };
    const parsed = parseEvent(body, PARSE);
    return parsed.ok ? { ok: true, value: [parsed.value] } : parsed;
  }
  return parseBatch(body, { ...PARSE, format: route === 'ndjson' ? 'ndjson' : 'json' });
}

function checkAnswer(
  bodyCase: BodyCase,
  answer: Answer | undefined,
): readonly { userId: string; value: number }[] {
  const want = expected(bodyCase);
  const text = answer?.body.toString('utf8') ?? '';
  const shown = `${bodyCase.route} ${JSON.stringify(Buffer.from(bodyCase.body).toString('latin1'))}`;
  if (want.ok) {
    const body = bodyCase.route === 'event' ? '{"status":"ok"}' : `{"accepted":${want.value.length}}`;
    if (answer?.status !== 200 || text !== body)
      throw new Error(`${shown}: expected 200 ${body}, got ${answer?.status} ${text}`);
    return want.value;
  }
  const status = HTTP_STATUS[want.error.code];
  const code = (JSON.parse(text || '{}') as { error?: { code?: string } }).error?.code;
  if (answer?.status !== status || code !== want.error.code) {
    throw new Error(`${shown}: expected ${status} ${want.error.code}, got ${answer?.status} ${text}`);
  }
  if (LEAK.test(text)) throw new Error(`${shown}: the answer leaks internals: ${text}`);
  return [];
}

/**
 * Bodies, sent on one kept-alive connection (a few pipelined in one write): the property holds
 * if every answer is the parsers' verdict and `/stats` stays equal to the reference.
 */
export function bodiesProperty(url: string): {
  property: fc.IAsyncPropertyWithHooks<[BodyCase[], boolean]>;
  /** Bodies sent so far, and how many of them were accepted. */
  readonly counts: { sent: number; accepted: number };
  close(): void;
} {
  const reference = createStats();
  const counts = { sent: 0, accepted: 0 };
  let connection: RawConnection | undefined;
  const property = fc.asyncProperty(
    fc.array(bodyCase, { minLength: 1, maxLength: 8 }),
    fc.boolean(),
    async (cases, pipelined) => {
      if (connection === undefined || connection.closed) connection = await RawConnection.open(url);
      const answers = pipelined
        ? await connection.send(Buffer.concat(cases.map((bodyCase) => request(url, bodyCase))), cases.length)
        : await sequentially(connection, cases);
      cases.forEach((bodyCase, i) => {
        const accepted = checkAnswer(bodyCase, answers[i]);
        counts.sent++;
        if (expected(bodyCase).ok) counts.accepted++;
        if (accepted.length > 0) reference.recordBatch(accepted);
      });
      const served = await readStats(url);
      const want = reference.snapshot();
      if (JSON.stringify(served) !== JSON.stringify(want)) {
        throw new Error(`stats ${JSON.stringify(served)}, expected ${JSON.stringify(want)}`);
      }
    },
  );
  return { property, counts, close: () => connection?.destroy() };
}

async function sequentially(connection: RawConnection, cases: readonly BodyCase[]): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (const bodyCase of cases) answers.push(...(await connection.send(request(connection.url, bodyCase))));
  return answers;
}

const eol = fc.constantFrom('\r\n', '\r\n', '\r\n', '\n', '\r', '\r\r\n', ' \r\n', '');
const method = fc.oneof(
  fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'get', 'PRI', 'OPTIONS', ''),
  fc.string({ maxLength: 6 }),
);
const target = fc.oneof(
  fc.constantFrom(
    '/event',
    '/events',
    '/stats',
    '/health',
    '/reset',
    '*',
    'http://x/stats',
    '/stats?x=1',
    '',
    '/%zz',
  ),
  fc.string({ maxLength: 12 }),
);
const version = fc.oneof(
  fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'http/1.1', 'HTTP/1.1 x', ''),
  fc.string({ maxLength: 8 }),
);
const headerName = fc.oneof(
  fc.constantFrom(
    'host',
    'content-length',
    'Content-Length',
    'transfer-encoding',
    'content-type',
    'authorization',
    'expect',
    'connection',
    ' host',
    'host ',
    '',
  ),
  fc.string({ maxLength: 10 }),
);
const headerValue = fc.oneof(
  fc.constantFrom(
    '127.0.0.1',
    '0',
    '5',
    '-1',
    '1e3',
    'chunked',
    'gzip, chunked',
    'application/json',
    '100-continue',
    'close',
    '',
  ),
  fc.string({ maxLength: 16 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const shapedHead = fc
  .tuple(
    method,
    target,
    version,
    eol,
    fc.array(fc.tuple(headerName, headerValue, eol), { maxLength: 6 }),
    eol,
  )
  .map(([m, t, v, end, headers, last]) => {
    const lines = headers.map(([name, value, lineEnd]) => `${name}: ${value}${lineEnd}`).join('');
    return Buffer.from(`${m} ${t} ${v}${end}${lines}${last}`, 'utf8');
  });
const head = fc.oneof(
  { weight: 4, arbitrary: shapedHead },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
);

/** What a head may get: a contract status, a library's refusal (417: node's answer to an unknown Expect). */
const HEAD_STATUSES: ReadonlySet<number> = new Set([...CONTRACT_STATUSES, ...HEAD_REFUSALS, 417]);

/**
 * Heads, each on its own connection, all of a run at once, with `waitMs` for their answers
 * (a head a server waits on the rest of, or that uWS ignores until its timeout, is then
 * dropped): every answer must be an allowed status, nothing counted, the server healthy.
 */
export function headsProperty(url: string, waitMs: number): fc.IAsyncPropertyWithHooks<[Buffer[]]> {
  return fc.asyncProperty(fc.array(head, { minLength: 1, maxLength: 12 }), async (heads) => {
    const before = JSON.stringify(await readStats(url));
    const outcomes = await Promise.all(heads.map((bytes) => talk(url, bytes, { waitMs })));
    outcomes.forEach((outcome, i) => {
      for (const answer of outcome.answers) {
        if (!HEAD_STATUSES.has(answer.status)) {
          throw new Error(`${JSON.stringify(heads[i]?.toString('latin1'))} got ${answer.status}`);
        }
        if (LEAK.test(answer.body.toString('latin1'))) throw new Error(`answer leaks: ${answer.body}`);
      }
    });
    const after = JSON.stringify(await readStats(url));
    if (after !== before) throw new Error(`heads alone changed the stats: ${before} → ${after}`);
    if (!(await healthy(url))) throw new Error('the server is not healthy after the heads');
  });
}
