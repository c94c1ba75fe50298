import { type EventError, type Result, StatsError, withIndex } from './errors.js';
import { parseEventFast } from './fast-parse.js';
import { DEFAULT_LIMITS, positiveInteger } from './limits.js';
import type { Event } from './types.js';

// stats.ts takes both from here.
export { DEFAULT_LIMITS, positiveInteger } from './limits.js';

export interface ParseOptions {
  /** Longest `userId`, in UTF-8 bytes. Default 256. */
  readonly maxUserIdBytes?: number;
}

export interface BatchOptions extends ParseOptions {
  /** `json`: one JSON array of events; `ndjson`: one event object per line. Default `json`. */
  readonly format?: 'json' | 'ndjson';
  /** Most events in one batch. Default 10,000. */
  readonly maxBatchEvents?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const invalid = (code: EventError['code'], message: string): { ok: false; error: EventError } => ({
  ok: false,
  error: { code, message },
});

function decode(body: string | Uint8Array): Result<string> {
  let text: string;
  if (typeof body === 'string') text = body;
  else {
    try {
      text = utf8.decode(body);
    } catch {
      return invalid('INVALID_JSON', 'body is not valid UTF-8');
    }
  }
  // JSON.parse rejects it too, but its message shows an invisible character.
  if (text.charCodeAt(0) === 0xfeff) {
    return invalid('INVALID_JSON', 'body must not start with a byte order mark (BOM)');
  }
  return { ok: true, value: text };
}

function parseJson(text: string): Result<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    // V8's own wording changes between Node versions; the answer's bytes must not.
    return invalid('INVALID_JSON', 'body is not valid JSON');
  }
}

/**
 * Parses one event body: a JSON object with a non-empty string `userId` (at most
 * `maxUserIdBytes` UTF-8 bytes, compared byte for byte) and a finite JSON number `value`.
 * Unknown fields are ignored; a repeated field counts as `JSON.parse` counts it (the last).
 * Every adapter accepts and rejects exactly what this does.
 */
export function parseEvent(body: string | Uint8Array, options: ParseOptions = {}): Result<Event> {
  const maxUserIdBytes = positiveInteger(
    'maxUserIdBytes',
    options.maxUserIdBytes,
    DEFAULT_LIMITS.maxUserIdBytes,
  );
  if (typeof body !== 'string') {
    const event = parseEventFast(body, maxUserIdBytes);
    if (event !== undefined) return { ok: true, value: event };
  }
  return parseEventReference(body, maxUserIdBytes);
}

/**
 * The definition of `parseEvent`: decode, `JSON.parse`, validate. For bytes in the common
 * shape `parseEvent` takes a faster road (fast-parse.ts) that must always agree with this.
 * Internal: exported for the tests, and for the benchmarks through `@1mrc/core/internal`.
 */
export function parseEventReference(body: string | Uint8Array, maxUserIdBytes: number): Result<Event> {
  const text = decode(body);
  if (!text.ok) return text;
  const json = parseJson(text.value);
  if (!json.ok) return json;
  return toEvent(json.value, maxUserIdBytes);
}

/**
 * Parses a batch body, all or nothing: the first bad event's index is in the error.
 * NDJSON lines are each parsed as `parseEvent` parses a body; a final empty line is allowed.
 */
export function parseBatch(body: string | Uint8Array, options: BatchOptions = {}): Result<Event[]> {
  const maxUserIdBytes = positiveInteger(
    'maxUserIdBytes',
    options.maxUserIdBytes,
    DEFAULT_LIMITS.maxUserIdBytes,
  );
  const maxEvents = positiveInteger('maxBatchEvents', options.maxBatchEvents, DEFAULT_LIMITS.maxBatchEvents);
  if (options.format === 'ndjson') return parseLines(body, maxUserIdBytes, maxEvents);
  const text = decode(body);
  if (!text.ok) return text;
  const json = parseJson(text.value);
  if (!json.ok) return json;
  if (!Array.isArray(json.value)) return invalid('INVALID_BATCH', 'body must be a JSON array of events');
  const items: unknown[] = json.value;
  if (items.length > maxEvents) return tooMany(maxEvents, items.length);
  const events: Event[] = [];
  for (let i = 0; i < items.length; i++) {
    const event = toEvent(items[i], maxUserIdBytes);
    if (!event.ok) return { ok: false, error: withIndex(event.error, i) };
    events.push(event.value);
  }
  return { ok: true, value: events };
}

const tooMany = (maxEvents: number, count: number): { ok: false; error: EventError } =>
  invalid('INVALID_BATCH', `a batch holds at most ${maxEvents} events, got ${count}`);

function parseLines(body: string | Uint8Array, maxUserIdBytes: number, maxEvents: number): Result<Event[]> {
  const lines = splitLines(body);
  const last = lines.at(-1);
  if (last !== undefined && isBlank(last)) lines.pop();
  if (lines.length > maxEvents) return tooMany(maxEvents, lines.length);
  const options = { maxUserIdBytes };
  const events: Event[] = [];
  for (let i = 0; i < lines.length; i++) {
    const event = parseEvent(lines[i] as string | Uint8Array, options);
    if (!event.ok) return { ok: false, error: withIndex(event.error, i) };
    events.push(event.value);
  }
  return { ok: true, value: events };
}

/** Splits on LF. On bytes that is safe: 0x0A is never part of a multi-byte UTF-8 character. */
function splitLines(body: string | Uint8Array): (string | Uint8Array)[] {
  if (typeof body === 'string') return body.split('\n');
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let end = body.indexOf(0x0a); end !== -1; end = body.indexOf(0x0a, start)) {
    lines.push(body.subarray(start, end));
    start = end + 1;
  }
  lines.push(body.subarray(start));
  return lines;
}

/** Empty or JSON whitespace only. */
function isBlank(line: string | Uint8Array): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = typeof line === 'string' ? line.charCodeAt(i) : line[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return false;
  }
  return true;
}

function toEvent(json: unknown, maxUserIdBytes: number): Result<Event> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return invalid('INVALID_EVENT', 'an event must be a JSON object');
  }
  const { userId, value } = json as { userId?: unknown; value?: unknown };
  const error = validateEvent(userId, value, maxUserIdBytes);
  return error
    ? { ok: false, error }
    : { ok: true, value: { userId: userId as string, value: value as number } };
}

/** The event rules, shared by the parser and `Stats.record`. Returns the first problem, if any. */
/**
 * Throws the `StatsError` (`INVALID_EVENT`) that a store gives for something that is not an
 * event, in the parser's own words: one set of rules for every store (the engine, the Redis
 * store, yours), so what one store refuses, every store refuses. `index` is a batch position.
 */
export function assertEvent(
  userId: unknown,
  value: unknown,
  maxUserIdBytes: number = DEFAULT_LIMITS.maxUserIdBytes,
  index?: number,
): void {
  const error = validateEvent(userId, value, maxUserIdBytes);
  if (error) throw new StatsError(index === undefined ? error : withIndex(error, index));
}

export function validateEvent(
  userId: unknown,
  value: unknown,
  maxUserIdBytes: number,
): EventError | undefined {
  if (userId === undefined) return { code: 'INVALID_EVENT', message: 'userId is missing' };
  if (typeof userId !== 'string') return { code: 'INVALID_EVENT', message: 'userId must be a string' };
  if (userId.length === 0) return { code: 'INVALID_EVENT', message: 'userId must not be empty' };
  // A UTF-16 unit encodes to at most 3 UTF-8 bytes, so short ids skip the exact count.
  if (userId.length * 3 > maxUserIdBytes && utf8Length(userId) > maxUserIdBytes) {
    return { code: 'INVALID_EVENT', message: `userId must be at most ${maxUserIdBytes} UTF-8 bytes` };
  }
  if (!userId.isWellFormed()) return { code: 'INVALID_EVENT', message: 'userId must be valid Unicode' };
  if (value === undefined) return { code: 'INVALID_EVENT', message: 'value is missing' };
  if (typeof value !== 'number') return { code: 'INVALID_EVENT', message: 'value must be a number' };
  if (!Number.isFinite(value)) return { code: 'INVALID_EVENT', message: 'value must be a finite number' };
  return undefined;
}

function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
