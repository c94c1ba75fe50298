/**
 * HTTP/1.1 over a bare `node:net` socket, for what an HTTP client would tidy up or refuse:
 * invalid bytes, chunked bodies cut short, wrong Content-Length, pipelining, a client that hangs up,
 * and whether the server closed the connection. The one raw client of this repository: the
 * conformance suite, the adapter behaviour suite and the hostile suite all speak through it.
 *
 * A request given as a string is bytes, one character per byte (latin1), so a test can write
 * exactly the bytes it means; `rawRequest` encodes a body as UTF-8 first.
 */
import { connect, type Socket } from 'node:net';

/** How long to wait for an answer before calling the server stuck. */
export const ANSWER_TIMEOUT_MS = 10_000;

const CRLF = '\r\n';

/** An HTTP answer: header names in lower case, repeated headers joined by `, ` (RFC 9110 §5.3). */
export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** Where to connect for `url`: its host (IPv6 without brackets) and its port or the scheme's default. */
export function socketAddress(url: string): { readonly host: string; readonly port: number } {
  const { hostname, port, protocol } = new URL(url);
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return { host, port: port === '' ? (protocol === 'https:' ? 443 : 80) : Number(port) };
}

/**
 * The bytes of one request to `url`'s origin. `Host` comes from the URL; `Content-Length` is
 * added when there is a body and the headers frame it neither by length nor as chunked.
 */
export function rawRequest(
  url: string,
  method: string,
  path: string,
  headers: Readonly<Record<string, string>> = {},
  body?: string | Uint8Array,
): Buffer {
  const names = Object.keys(headers).map((name) => name.toLowerCase());
  const lines = [`${method} ${path} HTTP/1.1`];
  if (!names.includes('host')) lines.push(`host: ${new URL(url).host}`);
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

const toBytes = (data: string | Uint8Array): Uint8Array =>
  typeof data === 'string' ? Buffer.from(data, 'latin1') : data;

/** Raised for a request whose connection closed before its answer came. */
export class ConnectionClosed extends Error {
  constructor(
    /** Whether the request was written before the close (its outcome is then unknown). */
    readonly written: boolean,
  ) {
    super(
      written ? 'connection closed before the answer' : 'connection closed before the request was written',
    );
  }
}

export interface OpenOptions {
  /**
   * Which answers (0 for the first final answer on the connection) answer a HEAD request, so
   * have a head only, whatever their Content-Length says (RFC 9110 §9.3.2).
   */
  readonly headAnswers?: readonly number[];
}

export class RawConnection {
  /** The URL it was opened to (its origin is what `rawRequest` needs for `Host`). */
  readonly url: string;
  readonly #socket: Socket;
  readonly #heads: ReadonlySet<number>;
  #buffer: Buffer = Buffer.alloc(0);
  /** Final answers that no `send` took (all of them if `send` is not used). */
  readonly #answers: Answer[] = [];
  /** Final answers so far, kept or handed to a `send`. */
  #count = 0;
  /** `send` calls waiting, in order; each takes the next answers as they come, so none is kept. */
  readonly #sends: {
    readonly want: number;
    readonly got: Answer[];
    readonly resolve: (answers: Answer[]) => void;
    readonly reject: (error: Error) => void;
  }[] = [];
  #sent = false;
  #closed = false;
  /** An answer that is not HTTP/1.1; the connection is dropped and every wait reports it. */
  #garbled: Error | undefined;
  readonly #wakers = new Set<() => void>();

  private constructor(url: string, socket: Socket, options: OpenOptions) {
    this.url = url;
    this.#socket = socket;
    this.#heads = new Set(options.headAnswers ?? []);
    socket.on('data', (data: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? data : Buffer.concat([this.#buffer, data]);
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

  /** Connects to `url`'s host and port (80 if it names none; IPv6 literals too). */
  static open(url: string, options: OpenOptions = {}): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ ...socketAddress(url), noDelay: true });
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(new RawConnection(url, socket, options));
      });
      socket.once('error', reject);
    });
  }

  /** The server closed or reset the connection (or its answers were not HTTP). */
  get closed(): boolean {
    return this.#closed || this.#socket.destroyed;
  }

  /** Final answers so far (those `send` handed out excepted). */
  get received(): readonly Answer[] {
    return this.#answers;
  }

  write(data: string | Uint8Array): void {
    if (!this.closed) this.#socket.write(toBytes(data));
  }

  /**
   * Waits until `count` answers arrived in all (or the server closed); returns them all. Not
   * for a connection that `send` is used on: `send` hands each answer out once.
   */
  async answers(count: number, timeoutMs = ANSWER_TIMEOUT_MS): Promise<Answer[]> {
    if (this.#sent) throw new Error('answers() on a connection that send() is used on');
    await this.#until(() => this.#answers.length >= count || this.#closed, timeoutMs);
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

  /**
   * Writes `request` (several, pipelined, if `count` says so) and resolves with their answers,
   * the ones after those earlier `send`s took; rejects with `ConnectionClosed` if the server
   * closes first. Waits as long as it takes.
   */
  send(request: string | Uint8Array, count = 1): Promise<Answer[]> {
    if (this.closed) return Promise.reject(new ConnectionClosed(false));
    this.#sent = true;
    const answers = new Promise<Answer[]>((resolve, reject) =>
      this.#sends.push({ want: count, got: [], resolve, reject }),
    );
    this.write(request);
    return answers;
  }

  /**
   * Resolves once the server closed the connection, `answers` arrived (if set), or `ms` passed,
   * whichever comes first; rejects only if the answers were not HTTP.
   */
  async settled(answers: number | undefined, ms: number): Promise<void> {
    const done = (): boolean => this.closed || (answers !== undefined && this.#answers.length >= answers);
    await this.#until(done, ms).catch(() => {});
    if (this.#garbled) throw this.#garbled;
  }

  /** Resolves true if the server closes the connection within `ms`. */
  async closedWithin(ms: number): Promise<boolean> {
    try {
      await this.#until(() => this.closed, ms);
      return true;
    } catch {
      return false;
    }
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #until(done: () => boolean, ms: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = Number.isFinite(ms)
        ? setTimeout(() => {
            this.#wakers.delete(wake);
            reject(new Error(`no answer within ${ms} ms (received ${this.#answers.length} so far)`));
          }, ms)
        : undefined;
      const wake = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      this.#wakers.add(wake);
    });
  }

  #take(answer: Answer): void {
    this.#count++;
    const waiting = this.#sends[0];
    if (waiting === undefined) {
      this.#answers.push(answer);
      return;
    }
    waiting.got.push(answer);
    if (waiting.got.length < waiting.want) return;
    this.#sends.shift();
    waiting.resolve(waiting.got);
  }

  #parse(): void {
    try {
      for (;;) {
        const head = this.#heads.has(this.#count);
        const parsed = parseAnswer(this.#buffer, 0, { closed: this.#closed, head });
        if (!parsed) break;
        this.#buffer = this.#buffer.subarray(parsed.next);
        // Interim answers (100 Continue) precede the real one; only final answers count.
        if (parsed.answer.status >= 200) this.#take(parsed.answer);
      }
    } catch (error) {
      this.#garbled = error as Error;
      this.#closed = true;
      this.#socket.destroy();
    }
    if (this.#closed) {
      const error = this.#garbled ?? new ConnectionClosed(true);
      for (const waiting of this.#sends.splice(0)) waiting.reject(error);
    }
    for (const wake of [...this.#wakers]) wake();
  }
}

/** Opens a connection, writes `data`, waits for `count` answers and hangs up; throws if fewer come. */
export async function exchange(url: string, data: string | Uint8Array, count = 1): Promise<Answer[]> {
  const connection = await RawConnection.open(url);
  try {
    connection.write(data);
    return await connection.answers(count);
  } finally {
    connection.destroy();
  }
}

export interface TalkOptions {
  /** The longest to wait for the server to close. Default `ANSWER_TIMEOUT_MS`. */
  readonly waitMs?: number;
  /** Stop waiting (and hang up) as soon as this many answers arrived; unset: wait for the close. */
  readonly answers?: number;
  /** Write each string of `data` in this many pieces (default 1: one write). */
  readonly pieces?: number;
  /** The pause between two writes. Default 0 (20 ms when `data` is a list of parts). */
  readonly gapMs?: number;
  readonly headAnswers?: readonly number[];
}

export interface Outcome {
  /** Final answers (interim 1xx ones left out), in order. */
  readonly answers: readonly Answer[];
  /** The server closed or reset the connection before the wait was over. */
  readonly closed: boolean;
  /** Milliseconds from the first write to the close (or to the end of the wait). */
  readonly elapsedMs: number;
}

/**
 * Opens a connection to `url`, writes `data` (a list: each part as its own write, a pause
 * between them, so the server sees them apart), and records every answer until the server
 * closes the connection, `answers` arrived, or `waitMs` passed (then hangs up itself).
 * Never throws for what the server does, except answers that are not HTTP.
 */
export async function talk(
  url: string,
  data: string | Uint8Array | readonly (string | Uint8Array)[],
  options: TalkOptions = {},
): Promise<Outcome> {
  const parts = typeof data === 'string' || data instanceof Uint8Array ? [data] : data;
  const gapMs = options.gapMs ?? (parts.length > 1 ? 20 : 0);
  const writes = parts.flatMap((part) => {
    const bytes = toBytes(part);
    const step = Math.max(1, Math.ceil(bytes.length / (options.pieces ?? 1)));
    return Array.from({ length: Math.ceil(bytes.length / step) }, (_, i) =>
      bytes.subarray(i * step, (i + 1) * step),
    );
  });
  const started = Date.now();
  let connection: RawConnection;
  try {
    connection = await RawConnection.open(url, options);
  } catch {
    // Refused or reset while connecting: the server closed before anything was said.
    return { answers: [], closed: true, elapsedMs: Date.now() - started };
  }
  const writing = (async () => {
    for (const [i, bytes] of writes.entries()) {
      if (i > 0 && gapMs > 0) await new Promise((wait) => setTimeout(wait, gapMs));
      if (connection.closed) return;
      connection.write(bytes);
    }
  })();
  await connection.settled(options.answers, options.waitMs ?? ANSWER_TIMEOUT_MS);
  const closed = connection.closed;
  const elapsedMs = Date.now() - started;
  connection.destroy();
  await writing;
  return { answers: [...connection.received], closed, elapsedMs };
}

/** Parses the answer that starts at `at` (interim ones included), or undefined if it is not all there. */
export function parseAnswer(
  buffer: Buffer,
  at: number,
  { closed = false, head = false }: { readonly closed?: boolean; readonly head?: boolean } = {},
): { answer: Answer; next: number } | undefined {
  const end = buffer.indexOf('\r\n\r\n', at);
  if (end === -1) {
    if (buffer.length - at >= 9 && !/^HTTP\/1\.[01] /.test(buffer.toString('latin1', at, at + 9))) {
      throw new Error(`not an HTTP/1.1 answer: ${JSON.stringify(buffer.toString('latin1', at, at + 80))}`);
    }
    return undefined;
  }
  const [statusLine = '', ...lines] = buffer.subarray(at, end).toString('latin1').split(CRLF);
  const status = Number(/^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine)?.[1]);
  if (!Number.isInteger(status)) {
    throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(statusLine)}`);
  }
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const start = end + 4;
  const framed = (body: Buffer, next: number) => ({ answer: { status, headers, body }, next });
  if (head || status < 200 || status === 204 || status === 304) return framed(Buffer.alloc(0), start);
  if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
    return parseChunked(buffer, start, framed);
  }
  const length = headers['content-length'];
  if (length !== undefined) {
    const n = Number(length);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`bad Content-Length in the answer: ${length}`);
    return buffer.length - start < n ? undefined : framed(buffer.subarray(start, start + n), start + n);
  }
  // No framing: the body runs to the end of the connection.
  return closed ? framed(buffer.subarray(start), buffer.length) : undefined;
}

/** The whole final answers in `bytes`; throws if the bytes are not HTTP/1.1 answers. */
export function parseAnswers(bytes: Buffer, closed: boolean): Answer[] {
  const answers: Answer[] = [];
  for (let at = 0; ; ) {
    const parsed = parseAnswer(bytes, at, { closed });
    if (parsed === undefined) return answers;
    if (parsed.answer.status >= 200) answers.push(parsed.answer);
    at = parsed.next;
  }
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
