/**
 * The fast path of `parseEvent`: reads the common event shape straight from the bytes,
 * without `TextDecoder` or `JSON.parse`. It only ever says "this is that event" or "not sure";
 * everything unusual (escapes, non-ASCII, extra or repeated fields, any error at all) goes to
 * the reference parser, which then decides and words the error. So the two cannot disagree
 * as long as every event this accepts is one the reference accepts with the same value
 * (property-tested in test/parse-event.test.ts).
 */
import type { Event } from './types.js';

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const UPPER_E = 0x45;
const BACKSLASH = 0x5c;
const LOWER_E = 0x65;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const DELETE = 0x7f;

// Every power of ten up to 1e22 is exact in a double (5^22 < 2^53).
const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
];

type Latin1Slice = (this: Uint8Array, start: number, end: number) => string;
const nodeLatin1Slice = (globalThis as { Buffer?: { prototype: { latin1Slice?: Latin1Slice } } }).Buffer
  ?.prototype.latin1Slice;

/** The bytes `start..end` (all ASCII here) as a string, through Node's `latin1Slice` where there is one. */
const ascii: (bytes: Uint8Array, start: number, end: number) => string = nodeLatin1Slice
  ? (bytes, start, end) => nodeLatin1Slice.call(bytes, start, end)
  : (bytes, start, end) => String.fromCharCode(...bytes.subarray(start, end));

/**
 * `ascii` for a short id. Twelve codes in one `fromCharCode` call, cut to length, cost about
 * half of a native `latin1Slice` call; past twelve characters `slice` would keep a view
 * of the longer string instead of a copy.
 */
function shortAscii(bytes: Uint8Array, start: number, end: number): string {
  const length = end - start;
  if (length > 12 || start + 12 > bytes.length) return ascii(bytes, start, end);
  const b = bytes;
  const s = start;
  const codes = String.fromCharCode(
    b[s]!,
    b[s + 1]!,
    b[s + 2]!,
    b[s + 3]!,
    b[s + 4]!,
    b[s + 5]!,
    b[s + 6]!,
    b[s + 7]!,
    b[s + 8]!,
    b[s + 9]!,
    b[s + 10]!,
    b[s + 11]!,
  );
  return length === 12 ? codes : codes.slice(0, length);
}

/** The number `scanNumber` read last: a second return value without allocating. */
let scanned = 0;

/**
 * Returns the event when `body` is `{"userId":"<ASCII>","value":<number>}` (either order, any
 * JSON whitespace) and certainly valid; `undefined` when the reference parser must decide.
 */
export function parseEventFast(body: Uint8Array, maxUserIdBytes: number): Event | undefined {
  const end = body.length;
  let i = skipWhitespace(body, 0);
  if (body[i] !== OPEN) return undefined;
  let userId: string | undefined;
  let value = 0;
  let hasValue = false;
  i = skipWhitespace(body, i + 1);
  for (let member = 0; member < 2; member++) {
    if (member === 1) {
      if (body[i] !== COMMA) return undefined;
      i = skipWhitespace(body, i + 1);
    }
    if (body[i] !== QUOTE) return undefined;
    if (userId === undefined && isKey(body, i + 1, 'userId')) {
      i = skipColon(body, i + 8);
      if (i < 0 || body[i] !== QUOTE) return undefined;
      const stop = scanPlainString(body, i + 1);
      const length = stop - i - 1;
      if (stop < 0 || length === 0 || length > maxUserIdBytes) return undefined;
      userId = shortAscii(body, i + 1, stop);
      i = stop + 1;
    } else if (!hasValue && isKey(body, i + 1, 'value')) {
      i = skipColon(body, i + 7);
      if (i < 0) return undefined;
      i = scanNumber(body, i);
      if (i < 0) return undefined;
      value = scanned;
      hasValue = true;
    } else {
      return undefined;
    }
    i = skipWhitespace(body, i);
  }
  if (body[i] !== CLOSE || skipWhitespace(body, i + 1) !== end || userId === undefined) return undefined;
  return { userId, value };
}

function skipWhitespace(bytes: Uint8Array, i: number): number {
  while (i < bytes.length) {
    const c = bytes[i];
    if (c !== SPACE && c !== LF && c !== CR && c !== TAB) break;
    i++;
  }
  return i;
}

/** Whether `key` and its closing quote start at `i`. */
function isKey(bytes: Uint8Array, i: number, key: 'userId' | 'value'): boolean {
  if (i + key.length >= bytes.length || bytes[i + key.length] !== QUOTE) return false;
  for (let k = 0; k < key.length; k++) if (bytes[i + k] !== key.charCodeAt(k)) return false;
  return true;
}

/** Skips `ws : ws`; -1 when the colon is missing. */
function skipColon(bytes: Uint8Array, i: number): number {
  i = skipWhitespace(bytes, i);
  return bytes[i] === COLON ? skipWhitespace(bytes, i + 1) : -1;
}

/** Index of the closing quote of a string of printable ASCII without escapes; else -1. */
function scanPlainString(bytes: Uint8Array, i: number): number {
  for (; i < bytes.length; i++) {
    const c = bytes[i] as number;
    if (c === QUOTE) return i;
    if (c < SPACE || c >= DELETE || c === BACKSLASH) return -1;
  }
  return -1;
}

function isDigit(c: number | undefined): c is number {
  return c !== undefined && c >= ZERO && c <= NINE;
}

/**
 * Reads a JSON number (RFC 8259 grammar, checked here) into `scanned`; returns the index after
 * it, or -1 for no number or a non-finite one. Up to 15 digits with a net power of ten within
 * ±22 are converted with one multiplication or division of two exact doubles, which IEEE 754
 * rounds correctly (Clinger's fast path, "How to read floating point numbers accurately",
 * PLDI 1990). Anything else goes to `Number()`, the same correctly rounded conversion as
 * `JSON.parse`, on the already validated text.
 */
function scanNumber(bytes: Uint8Array, i: number): number {
  const start = i;
  const negative = bytes[i] === MINUS;
  if (negative) i++;
  let mantissa = 0;
  let digits = 0;
  let c = bytes[i];
  if (c === ZERO) {
    c = bytes[++i];
  } else if (isDigit(c) && c !== ZERO) {
    do {
      mantissa = mantissa * 10 + (c - ZERO);
      digits++;
      c = bytes[++i];
    } while (isDigit(c));
  } else {
    return -1;
  }
  let fractionDigits = 0;
  if (c === DOT) {
    c = bytes[++i];
    if (!isDigit(c)) return -1;
    do {
      mantissa = mantissa * 10 + (c - ZERO);
      digits++;
      fractionDigits++;
      c = bytes[++i];
    } while (isDigit(c));
  }
  let exponent = 0;
  if (c === LOWER_E || c === UPPER_E) {
    c = bytes[++i];
    const negativeExponent = c === MINUS;
    if (c === MINUS || c === PLUS) c = bytes[++i];
    if (!isDigit(c)) return -1;
    do {
      // Capped: past this the number is 0 or Infinity anyway and `Number()` decides.
      if (exponent < 100_000) exponent = exponent * 10 + (c - ZERO);
      c = bytes[++i];
    } while (isDigit(c));
    if (negativeExponent) exponent = -exponent;
  }
  const power = exponent - fractionDigits;
  if (digits <= 15 && power >= -22 && power <= 22) {
    const magnitude = power < 0 ? mantissa / (POW10[-power] as number) : mantissa * (POW10[power] as number);
    scanned = negative ? -magnitude : magnitude;
    return i;
  }
  const number = Number(ascii(bytes, start, i));
  if (!Number.isFinite(number)) return -1;
  scanned = number;
  return i;
}
