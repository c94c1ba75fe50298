/**
 * The raw engine's load loop: one `node:net` socket per connection, each keeping `pipelining`
 * requests in flight, the requests written as pre-built bytes and the responses framed by a
 * small strict parser. It does what load.ts does with undici, at a fraction of the CPU per
 * request, so the client stops being the bottleneck of the run it measures.
 *
 * Same rules as the undici loop: request indexes come from one counter, so the bodies sent
 * are exactly the pattern for i in [first, end); nothing is ever re-sent: the requests in
 * flight on a connection that dies are failures, and a new connection carries on with
 * requests that were never sent.
 */
import { connect, type Socket } from 'node:net';
import { errorKind, type LoadOptions, type LoadResult, Tally } from './load.js';
import type { RequestBodies } from './pattern.js';
import { ProtocolError, ResponseParser, type ResponseSink } from './response-parser.js';

/** The complete bytes of requests 0 .. period-1, back to back: request k is `bytes[offsets[k]..offsets[k+1])`. */
export interface RequestBytes {
  readonly bytes: Buffer;
  readonly offsets: Float64Array;
  readonly period: number;
}

/** Builds every distinct request once, before the clock starts: sending one is slicing a buffer. */
export function buildRequests(host: string, path: string, bodies: RequestBodies): RequestBytes {
  const period = bodies.period;
  const start = `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: `;
  // Heads differ only in Content-Length, and bodies in a handful of lengths.
  const heads = new Map<number, Buffer>();
  const head = (length: number): Buffer => {
    let bytes = heads.get(length);
    if (bytes === undefined) {
      bytes = Buffer.from(`${start}${length}\r\n\r\n`, 'latin1');
      heads.set(length, bytes);
    }
    return bytes;
  };
  const offsets = new Float64Array(period + 1);
  for (let k = 0; k < period; k++) {
    const length = bodies.body(k).length;
    offsets[k + 1] = offsets[k]! + head(length).length + length;
  }
  const bytes = Buffer.allocUnsafe(offsets[period]!);
  for (let k = 0; k < period; k++) {
    const body = bodies.body(k);
    const at = offsets[k]! + head(body.length).copy(bytes, offsets[k]);
    body.copy(bytes, at);
  }
  return { bytes, offsets, period };
}

/**
 * One read buffer for every socket: a socket's read callback runs to the end before another
 * read starts, and the parser copies whatever it must keep, so no buffer is allocated per read.
 */
const READ_BUFFER_BYTES = 64 * 1024;

class Loop extends Tally {
  readonly requests: RequestBytes;
  readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  readonly host: string;
  readonly port: number;

  constructor(options: LoadOptions) {
    super(options);
    const url = new URL(options.origin);
    // An IPv6 host is bracketed in a URL, not in connect().
    this.host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = Number(url.port || 80);
    this.requests = buildRequests(url.host, options.path, options.bodies);
  }

  /** Reserves up to `wanted` never-sent request indexes, from `next` on; returns how many. */
  take(wanted: number): number {
    if (this.failed >= this.options.maxErrors) return 0;
    const n = Math.min(wanted, this.options.end - this.next);
    this.next += n;
    return n;
  }

  get hasWork(): boolean {
    return this.next < this.options.end && this.failed < this.options.maxErrors;
  }

  fail(kind: string, count: number): void {
    if (count === 0) return;
    this.errors[kind] = (this.errors[kind] ?? 0) + count;
    this.failed += count;
  }

  ended(at: number): void {
    this.endedAt = performance.timeOrigin + at;
    const { progress, progressIndex = 0 } = this.options;
    if (progress) Atomics.store(progress, progressIndex, this.succeeded + this.failed);
  }
}

class Connection implements ResponseSink {
  socket: Socket | undefined;
  connected = false;
  error: Error | undefined;
  finished = false;
  readonly parser = new ResponseParser(this);
  /** The requests in flight, oldest first, in a ring: when each was written, and its events. */
  readonly writtenAt: Float64Array;
  readonly events: Int32Array;
  head = 0;
  inFlight = 0;
  /** When the data being parsed arrived. */
  readAt = 0;

  constructor(readonly loop: Loop) {
    this.writtenAt = new Float64Array(loop.options.pipelining);
    this.events = new Int32Array(loop.options.pipelining);
  }

  open(): void {
    const { loop } = this;
    this.connected = false;
    this.error = undefined;
    this.parser.reset();
    const socket = connect({
      host: loop.host,
      port: loop.port,
      noDelay: true,
      keepAlive: true,
      onread: {
        buffer: loop.readBuffer,
        callback: (bytes: number, buffer: Uint8Array): boolean => {
          if (socket === this.socket) this.read(buffer as Buffer, bytes);
          return true;
        },
      },
    });
    this.socket = socket;
    socket.on('connect', () => {
      if (socket === this.socket) this.connected = true;
    });
    socket.on('error', (error: Error) => {
      if (socket === this.socket) this.error = error;
    });
    socket.on('close', () => {
      if (socket === this.socket) this.closed();
    });
    this.fill();
  }

  /** Tops the pipeline up with never-sent requests, in one write. */
  fill(): void {
    const { loop } = this;
    const socket = this.socket;
    if (socket === undefined) return;
    const first = loop.next;
    const n = loop.take(loop.options.pipelining - this.inFlight);
    if (n === 0) {
      if (this.inFlight === 0) this.finish();
      return;
    }
    const now = performance.now();
    const { bodies } = loop.options;
    const size = this.writtenAt.length;
    for (let i = 0; i < n; i++) {
      const slot = (this.head + this.inFlight + i) % size;
      this.writtenAt[slot] = now;
      this.events[slot] = bodies.eventsIn(first + i);
    }
    this.inFlight += n;
    const { bytes, offsets, period } = loop.requests;
    let k = first % period;
    let left = n;
    const wraps = k + left > period;
    if (wraps) socket.cork();
    while (left > 0) {
      const run = Math.min(left, period - k);
      socket.write(bytes.subarray(offsets[k], offsets[k + run]));
      left -= run;
      k = 0;
    }
    if (wraps) socket.uncork();
  }

  read(buffer: Buffer, bytes: number): void {
    this.readAt = performance.now();
    try {
      this.parser.feed(buffer.subarray(0, bytes));
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.abort('protocol');
      return;
    }
    this.loop.ended(this.readAt);
    // The server closes after this response: what is still in flight will not be answered.
    if (this.parser.closed) this.abort('reset');
    else this.fill();
  }

  onResponse(status: number): void {
    const { loop } = this;
    if (this.inFlight === 0) throw new ProtocolError(`a response (${status}) to no request`);
    const head = this.head;
    this.head = (head + 1) % this.writtenAt.length;
    this.inFlight -= 1;
    if (status >= 200 && status < 300) {
      const us = Math.round((this.readAt - this.writtenAt[head]!) * 1000);
      loop.histogram.recordValue(Math.max(us, 1));
      loop.succeeded += 1;
      loop.eventsSucceeded += this.events[head]!;
    } else loop.fail(`status ${status}`, 1);
  }

  /** The peer closed the connection, or it broke. */
  closed(): void {
    this.socket = undefined;
    this.readAt = performance.now();
    this.parser.end();
    const kind = this.connected ? (this.error ? errorKind(this.error) : 'reset') : 'connect';
    this.failInFlight(kind, this.connected ? 'reset' : 'connect');
    this.reopen();
  }

  /** Drops the connection: the oldest request in flight fails as `kind`, the others as resets. */
  abort(kind: string, others = 'reset'): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
    this.failInFlight(kind, others);
    this.reopen();
  }

  failInFlight(kind: string, others: string): void {
    if (this.inFlight === 0) return;
    this.loop.fail(kind, 1);
    this.loop.fail(others, this.inFlight - 1);
    this.head = 0;
    this.inFlight = 0;
    this.loop.ended(performance.now());
  }

  /** Opens a (new) connection if requests remain to be sent; otherwise this connection is done. */
  reopen(): void {
    if (this.finished) return;
    if (this.loop.hasWork) this.open();
    else this.finish();
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.loop.active -= 1;
    if (this.loop.active === 0) this.loop.done();
  }

  /** Called periodically: a request unanswered for longer than the timeout fails its connection. */
  checkTimeout(now: number, timeoutMs: number): void {
    if (this.inFlight === 0 || now - this.writtenAt[this.head]! <= timeoutMs) return;
    if (this.connected) this.abort('timeout');
    else this.abort('connect', 'connect');
  }

  destroy(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined || socket.closed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }
}

export async function runRawLoad(options: LoadOptions): Promise<LoadResult> {
  const loop = new Loop(options);
  const connections = Array.from({ length: options.connections }, () => new Connection(loop));
  const finished = new Promise<void>((resolve) => {
    loop.done = resolve;
  });
  // A timeout is noticed within a quarter of it (at most a second late): one timer, not one per request.
  const sweep = setInterval(
    () => {
      const now = performance.now();
      for (const connection of connections) connection.checkTimeout(now, options.timeoutMs);
    },
    Math.max(10, Math.min(1000, options.timeoutMs / 4)),
  );
  loop.active = connections.length;
  loop.startedAt = performance.timeOrigin + performance.now();
  loop.endedAt = loop.startedAt;
  for (const connection of connections) connection.reopen();
  if (connections.length > 0) await finished;
  clearInterval(sweep);
  await Promise.all(connections.map((connection) => connection.destroy()));
  return loop.result();
}
