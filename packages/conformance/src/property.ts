/**
 * The property: for any body, the server's verdict on `POST /event` is `parseEvent`'s verdict
 * (413 above 4 KiB), and `/stats` moves by exactly that event when it is accepted, not at all otherwise.
 * The model is `createStats` from `@1mrc/core`, fed the same accepted events.
 */
import { createStats, type Event, parseEvent } from '@1mrc/core';
import { type ContractErrorCode as ErrorCode, HTTP_STATUS } from '@1mrc/core/http';
import fc from 'fast-check';
import { check, expectError, expectJson, postEvent, type StatsValues, statsText } from './check.js';
import type { CaseDefinition } from './types.js';

const MAX_EVENT_BYTES = 4 * 1024;

type Verdict =
  | { readonly ok: true; readonly event: Event }
  | { readonly ok: false; readonly code: ErrorCode };

function expectedVerdict(body: Uint8Array): Verdict {
  if (body.length > MAX_EVENT_BYTES) return { ok: false, code: 'PAYLOAD_TOO_LARGE' };
  const parsed = parseEvent(body);
  return parsed.ok ? { ok: true, event: parsed.value } : { ok: false, code: parsed.error.code };
}

const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');

const userIds = fc.oneof(
  // `binary` reaches lone surrogates, which JSON.stringify writes as \udxxx escapes.
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 90 }),
  fc.integer({ min: 250, max: 262 }).map((n) => 'u'.repeat(n)),
  fc.integer({ min: 82, max: 88 }).map((n) => '€'.repeat(n)),
);

// Bounded so a hundred of them never overflow a sum; NaN and ±Infinity become `null` in JSON.
const values = fc.oneof(
  fc.double({ min: -1e300, max: 1e300, noNaN: true }),
  fc.integer(),
  fc.constantFrom(0, -0, 5e-324, 0.1, Number.NaN, Number.POSITIVE_INFINITY),
);

const validEvents = fc.record({ userId: userIds, value: values });

const eventTexts = fc.oneof(
  validEvents.map((event) => JSON.stringify(event)),
  fc
    .tuple(
      validEvents,
      fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    )
    .map(([event, extra]) => JSON.stringify({ ...extra, ...event })),
);

const mutate = ([text, at, op, insert]: [
  string,
  number,
  'delete' | 'insert' | 'replace' | 'truncate',
  string,
]): string => {
  const i = at % (text.length + 1);
  if (op === 'delete') return text.slice(0, i) + text.slice(i + 1);
  if (op === 'insert') return text.slice(0, i) + insert + text.slice(i);
  if (op === 'replace') return text.slice(0, i) + insert + text.slice(i + insert.length);
  return text.slice(0, i);
};

const bodies: fc.Arbitrary<Uint8Array> = fc.oneof(
  { arbitrary: eventTexts.map(utf8), weight: 4 },
  {
    arbitrary: fc
      .tuple(
        eventTexts,
        fc.nat(),
        fc.constantFrom('delete', 'insert', 'replace', 'truncate'),
        fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 3 }),
      )
      .map((args) => utf8(mutate(args))),
    weight: 3,
  },
  {
    // Right shape, any JSON in the fields (or missing).
    arbitrary: fc
      .record(
        { userId: fc.jsonValue({ maxDepth: 1 }), value: fc.jsonValue({ maxDepth: 1 }) },
        { requiredKeys: [] },
      )
      .map((event) => utf8(JSON.stringify(event))),
    weight: 2,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }).map((json) => utf8(JSON.stringify(json) ?? 'null')), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map(utf8), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 64 }), weight: 1 },
  {
    // A valid event with an invalid UTF-8 byte spliced in.
    arbitrary: fc
      .tuple(eventTexts, fc.nat(), fc.constantFrom(0x80, 0xbf, 0xc0, 0xc3, 0xed, 0xf8, 0xff))
      .map(([text, at, byte]) => {
        const bytes = utf8(text);
        const i = at % (bytes.length + 1);
        return Buffer.concat([bytes.subarray(0, i), Buffer.from([byte]), bytes.subarray(i)]);
      }),
    weight: 1,
  },
  {
    // Right at the size limit: the same valid event a few bytes under, at and over 4 KiB.
    arbitrary: fc.integer({ min: MAX_EVENT_BYTES - 4, max: MAX_EVENT_BYTES + 4 }).map((size) => {
      const head = '{"userId":"big","value":1,"pad":"';
      return utf8(head + 'x'.repeat(size - head.length - 2) + '"}');
    }),
    weight: 1,
  },
);

export interface PropertyCaseOptions {
  readonly numRuns: number;
  readonly seed?: number;
}

export function propertyCase(options: PropertyCaseOptions): CaseDefinition {
  return {
    name: `property: for ${options.numRuns} generated bodies, the verdict of POST /event is parseEvent's`,
    needs: 'fresh',
    async run(context) {
      const model = createStats();
      let last = await statsText(context);
      await fc.assert(
        fc.asyncProperty(bodies, async (body) => {
          const verdict = expectedVerdict(body);
          const answer = await postEvent(context, body);
          if (verdict.ok) {
            expectJson(answer, 200, '{"status":"ok"}');
            model.record(verdict.event.userId, verdict.event.value);
          } else {
            expectError(answer, verdict.code);
          }
          const now = await statsText(context);
          if (verdict.ok) {
            const served = JSON.parse(now) as StatsValues;
            const expected = model.snapshot();
            check(
              served.totalRequests === expected.totalRequests &&
                served.uniqueUsers === expected.uniqueUsers &&
                served.sum === expected.sum &&
                served.avg === expected.avg,
              `after an accepted event /stats is ${now}, the model says ${JSON.stringify(expected)}`,
            );
          } else {
            check(
              now === last,
              `a rejected body (${HTTP_STATUS[verdict.code]}) changed /stats: ${last} -> ${now}`,
            );
          }
          last = now;
        }),
        { numRuns: options.numRuns, ...(options.seed === undefined ? {} : { seed: options.seed }) },
      );
    },
  };
}
