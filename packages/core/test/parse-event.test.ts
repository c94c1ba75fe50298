import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { type ErrorCode, type Result, withIndex } from '../src/errors.js';
import { parseEventFast } from '../src/fast-parse.js';
import {
  DEFAULT_LIMITS,
  parseBatch,
  parseEvent,
  parseEventReference,
  validateEvent,
} from '../src/parse-event.js';
import type { Event } from '../src/types.js';

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);
const concat = (...parts: (string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((part) => (typeof part === 'string' ? [...bytes(part)] : part)));

function expectError(result: Result<unknown>, code: ErrorCode, message: RegExp): void {
  expect(result.ok, JSON.stringify(result)).toBe(false);
  if (result.ok) return;
  expect(result.error.code).toBe(code);
  expect(result.error.message).toMatch(message);
}

function expectEvent(result: Result<Event>, userId: string, value: number): void {
  expect(result.ok, JSON.stringify(result)).toBe(true);
  if (!result.ok) return;
  expect(result.value.userId).toBe(userId);
  expect(Object.is(result.value.value, value), `${result.value.value} is ${value}`).toBe(true);
}

describe('parseEvent rejects, naming the problem', () => {
  const longId = 'u'.repeat(257);
  // [name, body, code, what the message must say]
  const cases: [string, string | Uint8Array, ErrorCode, RegExp][] = [
    ['an empty body', '', 'INVALID_JSON', /^body is not valid JSON$/],
    ['whitespace only', ' \n\t', 'INVALID_JSON', /^body is not valid JSON$/],
    ['text that is not JSON', 'hello', 'INVALID_JSON', /not valid JSON/],
    ['a truncated object', '{"userId":"a","value":1', 'INVALID_JSON', /^body is not valid JSON$/],
    ['a truncated string', '{"userId":"a', 'INVALID_JSON', /^body is not valid JSON$/],
    ['trailing garbage', '{"userId":"a","value":1} x', 'INVALID_JSON', /^body is not valid JSON$/],
    [
      'two objects',
      '{"userId":"a","value":1}{"userId":"a","value":1}',
      'INVALID_JSON',
      /^body is not valid JSON$/,
    ],
    ['a trailing comma', '{"userId":"a","value":1,}', 'INVALID_JSON', /JSON/],
    ['single quotes', "{'userId':'a','value':1}", 'INVALID_JSON', /not valid JSON/],
    ['a byte order mark', '\ufeff{"userId":"a","value":1}', 'INVALID_JSON', /byte order mark/],
    ['a BOM as bytes', concat([0xef, 0xbb, 0xbf], '{"userId":"a","value":1}'), 'INVALID_JSON', /BOM/],
    ['a non-JSON space (U+00A0)', '\u00a0{"userId":"a","value":1}', 'INVALID_JSON', /not valid JSON/],
    ['a form feed as whitespace', '{"userId":"a",\f"value":1}', 'INVALID_JSON', /not valid JSON/],
    ['an invalid UTF-8 byte', concat('{"userId":"', [0xff], '","value":1}'), 'INVALID_JSON', /UTF-8/],
    [
      'an overlong UTF-8 encoding',
      concat('{"userId":"', [0xc0, 0xaf], '","value":1}'),
      'INVALID_JSON',
      /UTF-8/,
    ],
    [
      'a UTF-8 encoded surrogate',
      concat('{"userId":"', [0xed, 0xa0, 0x80], '","value":1}'),
      'INVALID_JSON',
      /UTF-8/,
    ],
    [
      'a truncated UTF-8 sequence',
      concat('{"userId":"', [0xe2, 0x82], '","value":1}'),
      'INVALID_JSON',
      /UTF-8/,
    ],
    [
      'a code point past U+10FFFF',
      concat('{"userId":"', [0xf4, 0x90, 0x80, 0x80], '","value":1}'),
      'INVALID_JSON',
      /UTF-8/,
    ],
    [
      'a raw control character in userId',
      '{"userId":"a\u0001","value":1}',
      'INVALID_JSON',
      /^body is not valid JSON$/,
    ],
    ['a bad escape in userId', '{"userId":"a\\x","value":1}', 'INVALID_JSON', /^body is not valid JSON$/],
    ['an array of events', '[{"userId":"a","value":1}]', 'INVALID_EVENT', /must be a JSON object/],
    ['a JSON string', '"a"', 'INVALID_EVENT', /must be a JSON object/],
    ['JSON null', 'null', 'INVALID_EVENT', /must be a JSON object/],
    ['a JSON number', '1', 'INVALID_EVENT', /must be a JSON object/],
    ['a missing userId', '{"value":1}', 'INVALID_EVENT', /userId is missing/],
    ['userId with another case', '{"UserId":"a","value":1}', 'INVALID_EVENT', /userId is missing/],
    ['a null userId', '{"userId":null,"value":1}', 'INVALID_EVENT', /userId must be a string/],
    ['a numeric userId', '{"userId":12,"value":1}', 'INVALID_EVENT', /userId must be a string/],
    ['an empty userId', '{"userId":"","value":1}', 'INVALID_EVENT', /userId must not be empty/],
    [
      'a 257-byte ASCII userId',
      `{"userId":"${longId}","value":1}`,
      'INVALID_EVENT',
      /at most 256 UTF-8 bytes/,
    ],
    [
      'a 258-byte userId of 86 characters',
      `{"userId":"${'€'.repeat(86)}","value":1}`,
      'INVALID_EVENT',
      /at most 256 UTF-8 bytes/,
    ],
    [
      'a lone surrogate escape in userId',
      '{"userId":"a\\ud800","value":1}',
      'INVALID_EVENT',
      /valid Unicode/,
    ],
    ['a swapped surrogate pair', '{"userId":"\\udc00\\ud800","value":1}', 'INVALID_EVENT', /valid Unicode/],
    ['a missing value', '{"userId":"a"}', 'INVALID_EVENT', /value is missing/],
    ['value with another case', '{"userId":"a","Value":1}', 'INVALID_EVENT', /value is missing/],
    ['a numeric string value', '{"userId":"a","value":"1"}', 'INVALID_EVENT', /value must be a number/],
    ['a null value', '{"userId":"a","value":null}', 'INVALID_EVENT', /value must be a number/],
    ['a boolean value', '{"userId":"a","value":true}', 'INVALID_EVENT', /value must be a number/],
    ['an array value', '{"userId":"a","value":[1]}', 'INVALID_EVENT', /value must be a number/],
    ['a value past the double range', '{"userId":"a","value":1e400}', 'INVALID_EVENT', /finite number/],
    ['a negative value past the range', '{"userId":"a","value":-1e400}', 'INVALID_EVENT', /finite number/],
    ['a leading zero', '{"userId":"a","value":01}', 'INVALID_JSON', /^body is not valid JSON$/],
    ['a plus sign', '{"userId":"a","value":+1}', 'INVALID_JSON', /^body is not valid JSON$/],
    ['a bare fraction', '{"userId":"a","value":.5}', 'INVALID_JSON', /^body is not valid JSON$/],
    ['a trailing dot', '{"userId":"a","value":5.}', 'INVALID_JSON', /^body is not valid JSON$/],
    ['an empty exponent', '{"userId":"a","value":1e}', 'INVALID_JSON', /^body is not valid JSON$/],
    ['NaN', '{"userId":"a","value":NaN}', 'INVALID_JSON', /not valid JSON/],
    ['Infinity', '{"userId":"a","value":Infinity}', 'INVALID_JSON', /not valid JSON/],
    ['a hexadecimal value', '{"userId":"a","value":0x10}', 'INVALID_JSON', /JSON/],
    [
      'a later invalid duplicate (last wins)',
      '{"userId":"a","value":1,"userId":7}',
      'INVALID_EVENT',
      /userId must be a string/,
    ],
    [
      'a later null value (last wins)',
      '{"userId":"a","value":1,"value":null}',
      'INVALID_EVENT',
      /value must be a number/,
    ],
  ];

  it.each(cases)('%s', (_name, body, code, message) => {
    const result = parseEvent(body);
    expectError(result, code, message);
    expect(parseEventReference(body, DEFAULT_LIMITS.maxUserIdBytes)).toEqual(result);
    // A text body and its UTF-8 bytes get the same answer.
    if (typeof body === 'string') expect(parseEvent(bytes(body))).toEqual(result);
  });

  it('applies a configured userId limit', () => {
    const body = '{"userId":"abcdefghijk","value":1}';
    expectError(parseEvent(body, { maxUserIdBytes: 10 }), 'INVALID_EVENT', /at most 10 UTF-8 bytes/);
    expectError(parseEvent(bytes(body), { maxUserIdBytes: 10 }), 'INVALID_EVENT', /at most 10 UTF-8 bytes/);
    expectEvent(parseEvent(bytes(body), { maxUserIdBytes: 11 }), 'abcdefghijk', 1);
  });
});

describe('parseEvent accepts', () => {
  const cases: [string, string, string, number][] = [
    ['the challenge shape', '{"userId":"user_12345","value":499.5}', 'user_12345', 499.5],
    ['either key order', '{"value":-3,"userId":"u"}', 'u', -3],
    ['JSON whitespace everywhere', ' \r\n\t{ "userId" :\n"u" ,\t"value"\r: 1 }\n', 'u', 1],
    ['unknown fields', '{"userId":"u","extra":{"value":"x"},"value":2,"n":[1]}', 'u', 2],
    ['a repeated userId, last wins', '{"userId":"a","value":1,"userId":"b"}', 'b', 1],
    ['a repeated value, last wins', '{"value":1,"userId":"a","value":2}', 'a', 2],
    ['escapes in userId', '{"userId":"a\\"b\\\\c\\/\\u0041","value":1}', 'a"b\\c/A', 1],
    ['an escaped key', '{"user\\u0049d":"u","value":1}', 'u', 1],
    ['a non-ASCII userId', '{"userId":"日本語🙂","value":1}', '日本語🙂', 1],
    ['ids differing only by case, as given', '{"userId":"User","value":1}', 'User', 1],
    ['a 256-byte ASCII userId', `{"userId":"${'u'.repeat(256)}","value":1}`, 'u'.repeat(256), 1],
    ['a 255-byte userId of 85 characters', `{"userId":"${'€'.repeat(85)}","value":1}`, '€'.repeat(85), 1],
    ['negative zero, kept', '{"userId":"u","value":-0}', 'u', -0],
    ['negative zero with a fraction', '{"userId":"u","value":-0.0e5}', 'u', -0],
    ['the largest double', '{"userId":"u","value":1.7976931348623157e308}', 'u', Number.MAX_VALUE],
    ['the smallest subnormal', '{"userId":"u","value":5e-324}', 'u', Number.MIN_VALUE],
    ['an underflow to zero', '{"userId":"u","value":1e-400}', 'u', 0],
    ['an upper-case exponent with a sign', '{"userId":"u","value":1.5E+2}', 'u', 150],
    ['a 17-digit double', '{"userId":"u","value":0.30000000000000004}', 'u', 0.1 + 0.2],
    ['an integer past 2^53', '{"userId":"u","value":9007199254740993}', 'u', 2 ** 53],
    ['1e23 (not exact)', '{"userId":"u","value":1e23}', 'u', 1e23],
  ];

  it.each(cases)('%s', (_name, body, userId, value) => {
    expectEvent(parseEvent(body), userId, value);
    expectEvent(parseEvent(bytes(body)), userId, value);
    expectEvent(parseEvent(Buffer.from(body)), userId, value);
  });

  it('accepts a userId of the default limit in bytes and refuses one byte more', () => {
    const limit = DEFAULT_LIMITS.maxUserIdBytes;
    expectEvent(parseEvent(`{"userId":"${'é'.repeat(limit / 2)}","value":1}`), 'é'.repeat(limit / 2), 1);
    const over = parseEvent(`{"userId":"${'u'.repeat(limit + 1)}","value":1}`);
    expect(over.ok).toBe(false);
  });
});

describe('the fast path', () => {
  it.each([
    '{"userId":"user_12345","value":499.5}',
    '{"value":499.5,"userId":"user_12345"}',
    ' { "userId" : "a b!~" ,\n "value" : -12.5e-3 } ',
    '{"userId":"u","value":123456789012345678901234567890}',
  ])('reads %s without the reference parser', (body) => {
    const event = parseEventFast(bytes(body), DEFAULT_LIMITS.maxUserIdBytes);
    const expected = JSON.parse(body) as Event;
    expect(event).toBeDefined();
    expect(event?.userId).toBe(expected.userId);
    expect(Object.is(event?.value, expected.value)).toBe(true);
  });

  it.each([
    ['an escape', '{"userId":"a\\"b","value":1}'],
    ['non-ASCII', '{"userId":"é","value":1}'],
    ['an extra field', '{"userId":"a","value":1,"x":0}'],
    ['a duplicate', '{"userId":"a","userId":"b","value":1}'],
    ['an infinite value', '{"userId":"a","value":1e400}'],
    ['a leading zero', '{"userId":"a","value":01}'],
    ['a too long id', `{"userId":"${'u'.repeat(257)}","value":1}`],
  ])('leaves %s to the reference parser', (_name, body) => {
    expect(parseEventFast(bytes(body), DEFAULT_LIMITS.maxUserIdBytes)).toBeUndefined();
  });
});

describe('the fast path outside Node', () => {
  it('reads ids and long numbers without Buffer', async () => {
    vi.resetModules();
    vi.stubGlobal('Buffer', undefined);
    try {
      const { parseEventFast: portable } = await import('../src/fast-parse.js');
      const long = `{"userId":"${'u'.repeat(40)}","value":0.30000000000000004}`;
      expect(portable(bytes(long), 256)).toEqual({ userId: 'u'.repeat(40), value: 0.1 + 0.2 });
      expect(portable(bytes('{"value":1,"userId":"ab"}'), 256)).toEqual({ userId: 'ab', value: 1 });
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });
});

// ---- Property tests: the fast path and the reference path always agree. ----

let fastHits = 0;

function expectAgreement(body: Uint8Array, maxUserIdBytes: number = DEFAULT_LIMITS.maxUserIdBytes): void {
  const reference = parseEventReference(body, maxUserIdBytes);
  const fast = parseEventFast(body, maxUserIdBytes);
  if (fast !== undefined) {
    fastHits++;
    expect(reference.ok, JSON.stringify(reference)).toBe(true);
    if (reference.ok) {
      expect(fast.userId).toBe(reference.value.userId);
      expect(Object.is(fast.value, reference.value.value), `${fast.value} vs ${reference.value.value}`).toBe(
        true,
      );
    }
  }
  const result = parseEvent(body, { maxUserIdBytes });
  expect(result.ok).toBe(reference.ok);
  if (result.ok && reference.ok) {
    expect(result.value.userId).toBe(reference.value.userId);
    expect(Object.is(result.value.value, reference.value.value)).toBe(true);
  } else if (!result.ok && !reference.ok) {
    expect(result.error).toEqual(reference.error);
  }
}

const ws = fc.oneof(
  { weight: 6, arbitrary: fc.constant('') },
  { weight: 3, arbitrary: fc.stringMatching(/^[ \t\n\r]{1,3}$/) },
  { weight: 1, arbitrary: fc.constantFrom('\u00a0', '\f', '\v', '\u2028', '\ufeff', 'x') },
);

const plainId = fc.oneof(
  fc.nat(1_000_000).map((n) => `"user_${n}"`),
  fc
    .string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) })
    .map((s) => `"${s.replaceAll('"', '').replaceAll('\\', '')}"`),
  fc.nat(300).map((n) => `"${'x'.repeat(n)}"`),
);

const idPiece = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 4 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }) },
  { weight: 2, arbitrary: fc.constantFrom('\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t') },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 0, max: 0xffff }).map((c) => `\\u${c.toString(16).padStart(4, '0')}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('\\x', '\\u12', '"', '\\', '\u0000', '\u001f', '\u007f') },
);

/** JSON string texts: mostly valid, some with every kind of escape, some broken. */
const anyId = fc.oneof(
  { weight: 3, arbitrary: plainId },
  { weight: 2, arbitrary: fc.string({ unit: 'binary' }).map((s) => JSON.stringify(s)) },
  { weight: 3, arbitrary: fc.array(idPiece, { maxLength: 8 }).map((pieces) => `"${pieces.join('')}"`) },
);

const formats: Record<string, (x: number, digits: number) => string> = {
  json: (x) => JSON.stringify(x),
  exponential: (x, digits) => x.toExponential(digits),
  fixed: (x, digits) => x.toFixed(digits),
  precision: (x, digits) => x.toPrecision(digits + 1),
  upper: (x) => String(x).toUpperCase(),
};
const formattedDouble = fc
  .tuple(fc.double(), fc.integer({ min: 0, max: 20 }), fc.constantFrom(...Object.values(formats)))
  .map(([x, digits, format]) => format(x, digits));

/** JSON number texts: every way to write a double, plus near misses of the grammar. */
const numberText = fc.oneof(
  { weight: 3, arbitrary: formattedDouble },
  { weight: 2, arbitrary: fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.nat(99_999), fc.nat(99_999), fc.boolean())
      .map(([i, f, negative]) => `${negative ? '-' : ''}${i}.${f}`),
  },
  { weight: 3, arbitrary: fc.stringMatching(/^[-+]?[0-9]{0,20}(\.[0-9]{0,20})?([eE][-+]?[0-9]{0,4})?$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      ...[
        '-0',
        '0',
        '-0.0',
        '0e0',
        '1e400',
        '-1e400',
        '1e-400',
        '.5',
        '5.',
        '+1',
        '01',
        '-01',
        '00',
        '1e',
        '1e+',
        '-',
        '1.7976931348623157e308',
        '1.7976931348623159e308',
        '5e-324',
        '2.2250738585072014e-308',
        '9007199254740993',
        '123456789012345.6',
        '1234567890123456',
        '999999999999999e22',
        '1E22',
        '1e23',
        '1e99999999999',
        '1.5.5',
        '1e5e5',
        '--1',
        'NaN',
        'Infinity',
        '0x10',
      ],
    ),
  },
);

const otherValue = fc.oneof(
  fc.constantFrom('null', 'true', 'false', '[]', '{}', '[1]', '{"userId":"x","value":1}'),
  anyId,
  numberText,
);

const key = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('"userId"', '"value"') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '"other"',
      '"UserId"',
      '"userid"',
      '"user\\u0049d"',
      '"valu\\u0065"',
      '"value "',
      '"user"',
    ),
  },
);

const userIdValue = fc.oneof({ weight: 5, arbitrary: anyId }, { weight: 1, arbitrary: otherValue });
const valueValue = fc.oneof({ weight: 5, arbitrary: numberText }, { weight: 1, arbitrary: otherValue });
const member = key.chain((k) =>
  (k === '"userId"' ? userIdValue : k === '"value"' ? valueValue : otherValue).map((v) => [k, v] as const),
);

/** Lays out tokens with random whitespace between them. */
function layout(tokens: readonly string[], gaps: readonly string[]): string {
  return tokens.map((token, i) => (gaps[i] ?? '') + token).join('') + (gaps[tokens.length] ?? '');
}

const gaps = fc.array(ws, { minLength: 20, maxLength: 20 });

/** The common shape: exactly userId and value, in either order. */
const commonBody = fc.tuple(plainId, numberText, fc.boolean(), gaps).map(([id, number, swap, spaces]) => {
  const members = [`"userId"`, ':', id, ',', '"value"', ':', number];
  const tokens = swap ? [...members.slice(4), ',', ...members.slice(0, 3)] : members;
  return layout(['{', ...tokens, '}'], spaces);
});

/** Any mix of members: extras, duplicates, missing ones, every kind of id and number. */
const generalBody = fc.tuple(fc.array(member, { maxLength: 5 }), gaps).map(([members, spaces]) => {
  const tokens = members.flatMap(([k, v], i) => (i === 0 ? [k, ':', v] : [',', k, ':', v]));
  return layout(['{', ...tokens, '}'], spaces);
});

const validBody = fc.oneof(commonBody, generalBody);

const mutation = fc.record({
  kind: fc.constantFrom('truncate', 'replace', 'insert', 'delete'),
  at: fc.nat(),
  byte: fc.integer({ min: 0, max: 255 }),
});

function mutate(
  body: Uint8Array,
  mutations: readonly { kind: string; at: number; byte: number }[],
): Uint8Array {
  let out = [...body];
  for (const { kind, at, byte } of mutations) {
    const i = out.length === 0 ? 0 : at % (out.length + 1);
    if (kind === 'truncate') out = out.slice(0, i);
    else if (kind === 'replace' && i < out.length) out[i] = byte;
    else if (kind === 'insert') out.splice(i, 0, byte);
    else if (kind === 'delete') out.splice(i, 1);
  }
  return Uint8Array.from(out);
}

const utf8Oddities = fc.constantFrom(
  [0xff],
  [0x80],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xe2, 0x82],
  [0xf4, 0x90, 0x80, 0x80],
  [0xc3, 0xa9],
  [0xf0, 0x9f, 0x98, 0x80],
  [0xef, 0xbb, 0xbf],
);

describe('fast path and reference path agree', () => {
  it('on common-shape bodies, and the fast path takes most of them', () => {
    fastHits = 0;
    const runs = 3000;
    fc.assert(
      fc.property(commonBody, (body) => expectAgreement(bytes(body))),
      { numRuns: runs },
    );
    // Guards the property against a fast path that silently never answers.
    expect(fastHits).toBeGreaterThan(runs / 10);
  });

  it('on any mix of members, ids and numbers', () => {
    fc.assert(
      fc.property(generalBody, (body) => expectAgreement(bytes(body))),
      { numRuns: 3000 },
    );
  });

  it('with any userId limit', () => {
    fc.assert(
      fc.property(validBody, fc.integer({ min: 1, max: 300 }), (body, max) =>
        expectAgreement(bytes(body), max),
      ),
      { numRuns: 1000 },
    );
  });

  it('on truncated and mutated bodies', () => {
    fc.assert(
      fc.property(validBody, fc.array(mutation, { minLength: 1, maxLength: 3 }), (body, mutations) =>
        expectAgreement(mutate(bytes(body), mutations)),
      ),
      { numRuns: 3000 },
    );
  });

  it('on bodies with invalid or unusual UTF-8 spliced in', () => {
    fc.assert(
      fc.property(validBody, fc.nat(), utf8Oddities, (body, at, sequence) => {
        const encoded = [...bytes(body)];
        encoded.splice(at % (encoded.length + 1), 0, ...sequence);
        expectAgreement(Uint8Array.from(encoded));
      }),
      { numRuns: 2000 },
    );
  });

  it('on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (body) => expectAgreement(body)),
      { numRuns: 2000 },
    );
  });

  it('on text bodies: a string and its UTF-8 bytes get the same answer', () => {
    fc.assert(
      fc.property(validBody, (body) => {
        expect(parseEvent(body)).toEqual(parseEvent(bytes(body)));
      }),
      { numRuns: 1000 },
    );
  });

  it('reads every double back exactly from its shortest form', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const event = parseEventFast(bytes(`{"userId":"u","value":${JSON.stringify(x)}}`), 256);
        // JSON.stringify writes -0 as 0.
        expect(Object.is(event?.value, Object.is(x, -0) ? 0 : x), `${x}`).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('validateEvent', () => {
  it('accepts a valid event and names the first problem of an invalid one', () => {
    expect(validateEvent('u', 1, 256)).toBeUndefined();
    expect(validateEvent(undefined, 1, 256)?.message).toMatch(/userId is missing/);
    expect(validateEvent('u', Number.NaN, 256)?.message).toMatch(/finite/);
    expect(validateEvent('u', 1n, 256)?.message).toMatch(/must be a number/);
    expect(validateEvent('\ud800', 1, 256)?.message).toMatch(/valid Unicode/);
    expect(validateEvent('ab', 1, 1)?.message).toMatch(/at most 1 UTF-8 bytes/);
  });
});

describe('parseBatch', () => {
  const event = (userId: string, value: number): string => JSON.stringify({ userId, value });

  it('reads a JSON array of events', () => {
    const result = parseBatch(bytes(`[${event('a', 1)}, ${event('b', -0.5)}]`));
    expect(result).toEqual({
      ok: true,
      value: [
        { userId: 'a', value: 1 },
        { userId: 'b', value: -0.5 },
      ],
    });
  });

  it('accepts an empty array', () => {
    expect(parseBatch('[]')).toEqual({ ok: true, value: [] });
  });

  it('rejects a body that is not an array', () => {
    expectError(parseBatch(event('a', 1)), 'INVALID_BATCH', /must be a JSON array/);
  });

  it('rejects invalid JSON, invalid UTF-8 and a BOM', () => {
    expectError(parseBatch('[{"userId":"a","value":1}'), 'INVALID_JSON', /^body is not valid JSON$/);
    expectError(parseBatch(concat('[', [0xff], ']')), 'INVALID_JSON', /UTF-8/);
    expectError(parseBatch(`\ufeff[${event('a', 1)}]`), 'INVALID_JSON', /byte order mark/);
  });

  it('names the index of the first bad event', () => {
    const body = `[${event('a', 1)},${event('b', 2)},{"userId":"c"},{"value":1}]`;
    const result = parseBatch(body);
    expectError(result, 'INVALID_EVENT', /^event 2: value is missing$/);
    expect(result.ok ? undefined : result.error.index).toBe(2);
  });

  it('applies maxBatchEvents, and the default of 10,000', () => {
    const three = `[${event('a', 1)},${event('b', 2)},${event('c', 3)}]`;
    expect(parseBatch(three, { maxBatchEvents: 3 }).ok).toBe(true);
    expectError(parseBatch(three, { maxBatchEvents: 2 }), 'INVALID_BATCH', /at most 2 events, got 3/);
    const many = (n: number): string => `[${Array.from({ length: n }, () => event('a', 1)).join(',')}]`;
    expect(parseBatch(many(DEFAULT_LIMITS.maxBatchEvents)).ok).toBe(true);
    expectError(parseBatch(many(DEFAULT_LIMITS.maxBatchEvents + 1)), 'INVALID_BATCH', /at most 10000 events/);
  });

  it('applies maxUserIdBytes to every event', () => {
    const result = parseBatch(`[${event('ab', 1)},${event('abc', 1)}]`, { maxUserIdBytes: 2 });
    expectError(result, 'INVALID_EVENT', /^event 1: userId must be at most 2 UTF-8 bytes$/);
  });

  it('reads NDJSON, with or without a final newline, and CRLF lines', () => {
    const lines = [event('a', 1), event('b', 2)];
    const expected = { ok: true, value: [JSON.parse(lines[0]!), JSON.parse(lines[1]!)] };
    expect(parseBatch(lines.join('\n'), { format: 'ndjson' })).toEqual(expected);
    expect(parseBatch(`${lines.join('\n')}\n`, { format: 'ndjson' })).toEqual(expected);
    expect(parseBatch(bytes(`${lines.join('\r\n')}\r\n`), { format: 'ndjson' })).toEqual(expected);
  });

  it('names the NDJSON line of the first bad event', () => {
    const badJson = parseBatch(`${event('a', 1)}\n{"userId":\n${event('b', 2)}`, { format: 'ndjson' });
    expectError(badJson, 'INVALID_JSON', /^event 1: body is not valid JSON/);
    expect(badJson.ok ? undefined : badJson.error.index).toBe(1);
    const blank = parseBatch(`${event('a', 1)}\n\n${event('b', 2)}`, { format: 'ndjson' });
    expectError(blank, 'INVALID_JSON', /^event 1: body is not valid JSON$/);
    const badEvent = parseBatch(`${event('a', 1)}\n${event('b', 2)}\n{"userId":"c","value":"1"}`, {
      format: 'ndjson',
    });
    expectError(badEvent, 'INVALID_EVENT', /^event 2: value must be a number$/);
  });

  it('applies maxBatchEvents to NDJSON', () => {
    const body = [event('a', 1), event('b', 2), event('c', 3)].join('\n');
    expectError(
      parseBatch(body, { format: 'ndjson', maxBatchEvents: 2 }),
      'INVALID_BATCH',
      /at most 2 events/,
    );
  });

  it('accepts a batch exactly when parseEvent accepts every line, else names the first bad one', () => {
    // No newlines inside a line, so each generated body is one NDJSON line.
    const line = validBody.map((body) => body.replace(/\n/g, ' '));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 5 }), (lines) => {
        const results = lines.map((body) => parseEvent(body));
        const firstBad = results.findIndex((result) => !result.ok);
        const bad = results[firstBad];
        const expected =
          bad === undefined
            ? { ok: true, value: results.map((result) => result.ok && result.value) }
            : { ok: false, error: bad.ok ? undefined : withIndex(bad.error, firstBad) };
        expect(parseBatch(bytes(lines.join('\n')), { format: 'ndjson' })).toEqual(expected);
        expect(parseBatch(lines.join('\n'), { format: 'ndjson' })).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('limit options of the parser', () => {
  it('refuses a limit that is not a positive integer instead of switching it off', () => {
    const body = '{"userId":"a","value":1}';
    for (const bad of [Number.NaN, 0, -1, 1.5, Number.POSITIVE_INFINITY]) {
      expect(() => parseEvent(body, { maxUserIdBytes: bad })).toThrow(TypeError);
      expect(() => parseBatch(`[${body}]`, { maxBatchEvents: bad })).toThrow(
        new TypeError(`Expected maxBatchEvents to be a positive integer, got ${String(bad)}`),
      );
      expect(() => parseBatch(`[${body}]`, { maxUserIdBytes: bad })).toThrow(TypeError);
    }
  });

  it('words an invalid JSON body in its own words, whatever V8 says', () => {
    const result = parseEvent('{"userId":');
    expect(result).toEqual({ ok: false, error: { code: 'INVALID_JSON', message: 'body is not valid JSON' } });
  });
});
