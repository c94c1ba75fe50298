/**
 * A minimal, strict, incremental HTTP/1.1 response parser for the raw engine (RFC 9112). It
 * frames responses (status line, Content-Length, chunked, or until close), notes
 * `Connection: close`, and steps over bodies without copying them: the load loop needs each
 * response's status and end, nothing else. What it cannot frame with certainty is a
 * ProtocolError, never a guess: a misread framing would pair later responses with the wrong
 * requests.
 */

export class ProtocolError extends Error {
  readonly code = 'PROTOCOL';
}

export interface ResponseSink {
  /** A final (non-1xx) response ended. Called in the order the responses arrive. */
  onResponse(status: number): void;
}

/** Longer heads (or chunk-size lines, or trailer sections) are refused rather than buffered. */
export const MAX_HEAD_BYTES = 16 * 1024;

enum State {
  Head,
  Body,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
  /** After a `Connection: close` response: the server sends nothing more that counts. */
  Closed,
}

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const PREFIX = Buffer.from('HTTP/1.', 'latin1');

/** RFC 9110 tchar: the bytes a header name may hold. */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TOKEN[c.charCodeAt(0)] = 1;
}

const CONTENT_LENGTH = Buffer.from('content-length', 'latin1');
const TRANSFER_ENCODING = Buffer.from('transfer-encoding', 'latin1');
const CONNECTION = Buffer.from('connection', 'latin1');

/** Header names are compared without allocating: letters folded to lower case with `| 0x20`. */
function nameIs(buf: Buffer, start: number, end: number, name: Buffer): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if ((buf[start + i]! | 0x20) !== name[i]) return false;
  return true;
}

function fail(message: string): never {
  throw new ProtocolError(message);
}

/**
 * The end (the CR) of the line starting at `from`, or -1 if its CRLF has not arrived yet.
 * Only field-value bytes (HTAB, SP, VCHAR, obs-text) may come before it, so a bare CR or LF
 * or any other control byte is an error, not a line break.
 */
function lineEnd(buf: Buffer, from: number, what: string): number {
  for (let i = from; i < buf.length; i++) {
    const b = buf[i]!;
    if (b >= SP && b !== 127) continue;
    if (b === HT) continue;
    if (b !== CR) fail(`byte 0x${b.toString(16)} in the ${what}`);
    if (i + 1 === buf.length) return -1;
    if (buf[i + 1] !== LF) fail(`CR without LF in the ${what}`);
    return i;
  }
  return -1;
}

function trimmed(buf: Buffer, start: number, end: number): string {
  while (start < end && (buf[start] === SP || buf[start] === HT)) start++;
  while (end > start && (buf[end - 1] === SP || buf[end - 1] === HT)) end--;
  return buf.toString('latin1', start, end);
}

/** A Content-Length value (digits between optional whitespace), or -1 if it is anything else. */
function decimal(buf: Buffer, start: number, end: number): number {
  while (start < end && (buf[start] === SP || buf[start] === HT)) start++;
  while (end > start && (buf[end - 1] === SP || buf[end - 1] === HT)) end--;
  if (start === end || end - start > 15) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const digit = buf[i]! - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

export class ResponseParser {
  #state = State.Head;
  /** Bytes of an unfinished line-based part (head, chunk-size line, trailers), copied. */
  #carry: Buffer | undefined;
  /** Body or chunk bytes still to skip. */
  #remaining = 0;
  #status = 0;
  #close = false;

  constructor(readonly sink: ResponseSink) {}

  /** True once a response said `Connection: close` (or was framed by the close itself). */
  get closed(): boolean {
    return this.#state === State.Closed;
  }

  /** True between responses: nothing of a response has arrived. */
  get idle(): boolean {
    return this.#state === State.Head && this.#carry === undefined;
  }

  /** Back to a fresh connection's state. */
  reset(): void {
    this.#state = State.Head;
    this.#carry = undefined;
    this.#remaining = 0;
  }

  /**
   * Parses `chunk`, calling `sink.onResponse` for each response it completes. `chunk` may be
   * reused by the caller afterwards: what must wait for more bytes is copied. Throws a
   * ProtocolError on anything it cannot frame.
   */
  feed(chunk: Buffer): void {
    let buf = chunk;
    if (this.#carry !== undefined) {
      buf = Buffer.concat([this.#carry, chunk]);
      this.#carry = undefined;
    }
    let at = 0;
    while (at < buf.length) {
      let next: number;
      switch (this.#state) {
        case State.Head:
          next = this.#head(buf, at);
          break;
        case State.Body:
        case State.ChunkData:
          next = this.#skip(buf, at);
          break;
        case State.ChunkSize:
          next = this.#chunkSize(buf, at);
          break;
        case State.ChunkEnd:
          next = this.#chunkEnd(buf, at);
          break;
        case State.Trailers:
          next = this.#trailers(buf, at);
          break;
        case State.UntilClose:
          return;
        case State.Closed:
          return;
      }
      if (next < 0) {
        if (buf.length - at > MAX_HEAD_BYTES) fail(`more than ${MAX_HEAD_BYTES} bytes without a line end`);
        this.#carry = Buffer.from(buf.subarray(at));
        return;
      }
      at = next;
    }
  }

  /** The connection ended: completes a response framed by the close. */
  end(): void {
    if (this.#state === State.UntilClose) {
      this.#state = State.Closed;
      this.sink.onResponse(this.#status);
    }
  }

  #complete(): void {
    this.#state = this.#close ? State.Closed : State.Head;
    this.sink.onResponse(this.#status);
  }

  #skip(buf: Buffer, at: number): number {
    const n = Math.min(this.#remaining, buf.length - at);
    this.#remaining -= n;
    if (this.#remaining === 0) {
      if (this.#state === State.Body) this.#complete();
      else this.#state = State.ChunkEnd;
    }
    return at + n;
  }

  /** Parses a whole head or returns -1; nothing is kept from an incomplete one. */
  #head(buf: Buffer, start: number): number {
    const prefix = Math.min(PREFIX.length, buf.length - start);
    for (let i = 0; i < prefix; i++) {
      if (buf[start + i] !== PREFIX[i])
        fail(`not an HTTP/1.x status line: ${JSON.stringify(buf.toString('latin1', start, start + 40))}`);
    }
    const eol = lineEnd(buf, start, 'status line');
    if (eol < 0) return -1;
    // HTTP/1.x SP 3DIGIT SP reason-phrase; the SP before an empty reason is often left out.
    const minor = buf[start + 7];
    const d0 = buf[start + 9]! - 48;
    const d1 = buf[start + 10]! - 48;
    const d2 = buf[start + 11]! - 48;
    if (
      eol - start < 12 ||
      (minor !== 48 && minor !== 49) ||
      buf[start + 8] !== SP ||
      !(d0 >= 1 && d0 <= 5 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9) ||
      (eol - start > 12 && buf[start + 12] !== SP)
    ) {
      fail(`malformed status line: ${JSON.stringify(buf.toString('latin1', start, eol))}`);
    }
    const status = d0 * 100 + d1 * 10 + d2;
    let length = -1;
    let chunked = false;
    // HTTP/1.0 closes after each response unless it says keep-alive.
    let close = minor === 48;
    let at = eol + 2;
    for (;;) {
      const end = lineEnd(buf, at, 'response head');
      if (end < 0) return -1;
      if (end === at) break;
      let colon = at;
      while (colon < end && TOKEN[buf[colon]!] === 1) colon++;
      if (colon === at || buf[colon] !== 58) {
        fail(`malformed header line: ${JSON.stringify(buf.toString('latin1', at, end))}`);
      }
      if (nameIs(buf, at, colon, CONTENT_LENGTH)) {
        const n = decimal(buf, colon + 1, end);
        if (n < 0 || (length >= 0 && length !== n)) {
          fail(`bad Content-Length: ${trimmed(buf, colon + 1, end)}`);
        }
        length = n;
      } else if (nameIs(buf, at, colon, TRANSFER_ENCODING)) {
        const text = trimmed(buf, colon + 1, end);
        // Other codings would need decoding to find the end; none of our servers uses them.
        if (chunked || text.toLowerCase() !== 'chunked') fail(`unsupported Transfer-Encoding: ${text}`);
        chunked = true;
      } else if (nameIs(buf, at, colon, CONNECTION)) {
        for (const option of trimmed(buf, colon + 1, end)
          .toLowerCase()
          .split(',')) {
          const name = option.trim();
          if (name === 'close') close = true;
          else if (name === 'keep-alive' && minor === 48) close = false;
        }
      }
      at = end + 2;
    }
    at += 2;
    if (status < 200) {
      // Interim responses precede the real one; 101 would switch protocols, which we never ask.
      if (status === 101) fail('unexpected 101 Switching Protocols');
      return at;
    }
    if (chunked && length >= 0) fail('both Transfer-Encoding and Content-Length');
    this.#status = status;
    this.#close = close;
    if (status === 204 || status === 304) this.#complete();
    else if (chunked) this.#state = State.ChunkSize;
    else if (length > 0) {
      this.#remaining = length;
      this.#state = State.Body;
    } else if (length === 0) this.#complete();
    else this.#state = State.UntilClose;
    return at;
  }

  #chunkSize(buf: Buffer, start: number): number {
    const eol = lineEnd(buf, start, 'chunk size line');
    if (eol < 0) return -1;
    let size = 0;
    let at = start;
    for (; at < eol; at++) {
      const b = buf[at]! | 0x20;
      const digit = b >= 48 && b <= 57 ? b - 48 : b >= 97 && b <= 102 ? b - 87 : -1;
      if (digit < 0) break;
      size = size * 16 + digit;
    }
    // Chunk extensions (after ';') are allowed and ignored.
    if (at === start || at - start > 12 || (at < eol && buf[at] !== 59 && buf[at] !== SP && buf[at] !== HT)) {
      fail(`malformed chunk size: ${JSON.stringify(buf.toString('latin1', start, eol))}`);
    }
    if (size === 0) this.#state = State.Trailers;
    else {
      this.#remaining = size;
      this.#state = State.ChunkData;
    }
    return eol + 2;
  }

  #chunkEnd(buf: Buffer, start: number): number {
    if (buf[start] !== CR || (start + 1 < buf.length && buf[start + 1] !== LF))
      fail('chunk data not followed by CRLF');
    if (start + 1 === buf.length) return -1;
    this.#state = State.ChunkSize;
    return start + 2;
  }

  #trailers(buf: Buffer, start: number): number {
    const eol = lineEnd(buf, start, 'trailers');
    if (eol < 0) return -1;
    if (eol === start) {
      this.#complete();
      return eol + 2;
    }
    let colon = start;
    while (colon < eol && TOKEN[buf[colon]!] === 1) colon++;
    if (colon === start || buf[colon] !== 58)
      fail(`malformed trailer: ${JSON.stringify(buf.toString('latin1', start, eol))}`);
    return eol + 2;
  }
}
