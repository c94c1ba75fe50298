/**
 * HTTP/1.1 over a bare `node:net` socket, for what an HTTP client would tidy up or refuse:
 * invalid bytes, chunked bodies cut short, wrong Content-Length, pipelining, a client that hangs up.
 */
import { connect, type Socket } from 'node:net';
import type { Answer } from './types.js';

/** How long to wait for an answer before calling the server stuck. */
export const ANSWER_TIMEOUT_MS = 10_000;

const CRLF = '\r\n';

/**
 * The bytes of one request. `Host` is added; so is `Content-Length` when there is a body
 * and the headers frame it neither by length nor as chunked.
 */
export function rawRequest(
  method: string,
  path: string,
  headers: Readonly<Record<string, string>> = {},
  body?: string | Uint8Array,
): Buffer {
  const names = Object.keys(headers).map((name) => name.toLowerCase());
  const lines = [`${method} ${path} HTTP/1.1`, 'host: 127.0.0.1'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  const bytes = body === undefined ? undefined : Buffer.from(body);
  if (bytes && !names.includes('content-length') && !names.includes('transfer-encoding')) {
    lines.push(`content-length: ${bytes.length}`);
  }
  const head = Buffer.from(lines.join(CRLF) + CRLF + CRLF, 'latin1');
  return bytes ? Buffer.concat([head, bytes]) : head;
}

/** One chunk of a chunked body; an empty `data` is the last chunk. */
export function chunk(data: string | Uint8Array): Buffer {
  const bytes = Buffer.from(data);
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}${CRLF}`), bytes, Buffer.from(CRLF)]);
}

export class RawConnection {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  readonly #answers: Answer[] = [];
  #closed = false;
  /** An answer that is not HTTP/1.1; the connection is dropped and every wait reports it. */
  #garbled: Error | undefined;
  #wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (data: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, data]);
      this.#parse();
    });
    // A server that answers and hangs up while we still write gets EPIPE or ECONNRESET on our side;
    // that is its right, and the answer it sent is what gets checked.
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#closed = true;
      this.#parse();
    });
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) });
      socket.setNoDelay(true);
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(new RawConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(data: string | Uint8Array): void {
    if (!this.#closed && !this.#socket.destroyed) this.#socket.write(data);
  }

  /** Waits until `count` answers arrived in all (or the server closed); returns them all. */
  async answers(count: number): Promise<Answer[]> {
    await this.#until(() => this.#answers.length >= count || this.#closed);
    if (this.#garbled) throw this.#garbled;
    if (this.#answers.length < count) {
      throw new Error(
        `expected ${count} answer(s), the server closed the connection after ${this.#answers.length}`,
      );
    }
    return this.#answers.slice(0, count);
  }

  /** The next answer after the `seen` first ones. */
  async answer(seen = 0): Promise<Answer> {
    const all = await this.answers(seen + 1);
    return all[seen] as Answer;
  }

  /** Resolves true if the server closes the connection within the timeout. */
  async closedWithin(ms: number): Promise<boolean> {
    try {
      await this.#until(() => this.#closed, ms);
      return true;
    } catch {
      return false;
    }
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #until(done: () => boolean, ms = ANSWER_TIMEOUT_MS): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        reject(new Error(`no answer within ${ms} ms (received ${this.#answers.length} so far)`));
      }, ms);
      this.#wake = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  #parse(): void {
    try {
      for (;;) {
        const parsed = parseAnswer(this.#buffer, this.#closed);
        if (!parsed) break;
        this.#buffer = this.#buffer.subarray(parsed.consumed);
        // Interim answers (100 Continue) precede the real one; only final answers count.
        if (parsed.answer.status >= 200) this.#answers.push(parsed.answer);
      }
    } catch (error) {
      this.#garbled = error as Error;
      this.#closed = true;
      this.#socket.destroy();
    }
    this.#wake?.();
  }
}

/** Opens a connection, writes `data`, waits for `count` answers and hangs up. */
export async function exchange(url: string, data: string | Uint8Array, count = 1): Promise<Answer[]> {
  const connection = await RawConnection.open(url);
  try {
    connection.write(data);
    return await connection.answers(count);
  } finally {
    connection.destroy();
  }
}

/** Parses one complete answer at the start of `buffer`, or returns undefined if it is not all there. */
function parseAnswer(buffer: Buffer, closed: boolean): { answer: Answer; consumed: number } | undefined {
  const end = buffer.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine = '', ...lines] = buffer.subarray(0, end).toString('latin1').split(CRLF);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!Number.isInteger(status))
    throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const start = end + 4;
  const framed = (body: Buffer, consumed: number) => ({ answer: { status, headers, body }, consumed });
  if (status < 200 || status === 204 || status === 304) return framed(Buffer.alloc(0), start);
  if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
    return parseChunked(buffer, start, (body, next) => framed(body, next));
  }
  const length = headers['content-length'];
  if (length !== undefined) {
    const n = Number(length);
    return buffer.length - start < n ? undefined : framed(buffer.subarray(start, start + n), start + n);
  }
  // No framing: the body runs to the end of the connection.
  return closed ? framed(buffer.subarray(start), buffer.length) : undefined;
}

function parseChunked<T>(
  buffer: Buffer,
  from: number,
  done: (body: Buffer, next: number) => T,
): T | undefined {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const lineEnd = buffer.indexOf(CRLF, at);
    if (lineEnd === -1) return undefined;
    const size = Number.parseInt(buffer.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) throw new Error('malformed chunk size in the answer');
    at = lineEnd + 2;
    if (size === 0) {
      // Skip trailers up to the empty line.
      const trailerEnd = buffer.indexOf(CRLF + CRLF, at - 2);
      return trailerEnd === -1 ? undefined : done(Buffer.concat(parts), trailerEnd + 4);
    }
    if (buffer.length < at + size + 2) return undefined;
    parts.push(buffer.subarray(at, at + size));
    at += size + 2;
  }
}
