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

/** One server the connections go to, with its own pre-built requests (the Host header differs). */
interface Target {
  readonly host: string;
  readonly port: number;
  readonly requests: RequestBytes;
}

function targetOf(origin: string, options: LoadOptions): Target {
  const url = new URL(origin);
  return {
    // An IPv6 host is bracketed in a URL, not in connect().
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port || 80),
    requests: buildRequests(url.host, options.path, options.bodies),
  };
}

class Loop extends Tally {
  readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  readonly targets: readonly Target[];
  /** Open model: requests below this index are due; the others wait for the schedule. */
  released: number;
  /** Open model: when request `first` was due, and the time between two requests, in ms. */
  scheduleStart = 0;
  readonly interval: number;
  /** Open model: connections with a free slot, waiting for the next due request. */
  readonly idle: Connection[] = [];

  constructor(options: LoadOptions) {
    super(options);
    const built = new Map<string, Target>();
    this.targets = options.origins.map((origin) => {
      let target = built.get(origin);
      if (target === undefined) {
        target = targetOf(origin, options);
        built.set(origin, target);
      }
      return target;
    });
    this.interval = options.rate === undefined ? 0 : 1000 / options.rate;
    this.released = options.rate === undefined ? options.end : options.first;
  }

  /** Reserves up to `wanted` never-sent, due request indexes, from `next` on; returns how many. */
  take(wanted: number): number {
    if (this.failed >= this.options.maxErrors) return 0;
    const n = Math.min(wanted, this.released - this.next);
    this.next += Math.max(n, 0);
    return Math.max(n, 0);
  }

  get hasWork(): boolean {
    return this.next < this.options.end && this.failed < this.options.maxErrors;
  }

  /** When request `index` was due (open model). */
  dueAt(index: number): number {
    return this.scheduleStart + (index - this.options.first) * this.interval;
  }

  /** Open model, on the schedule's tick: releases the requests due by now and hands them to idle connections. */
  release(now: number): void {
    const due = this.options.first + Math.floor((now - this.scheduleStart) / this.interval) + 1;
    this.released = Math.min(this.options.end, due);
    while (this.next < this.released && this.idle.length > 0) {
      const connection = this.idle.pop() as Connection;
      connection.parked = false;
      connection.fill();
    }
    // Nothing left to send: the idle connections are done once their requests are answered.
    if (!this.hasWork) {
      for (const connection of this.idle.splice(0)) {
        connection.parked = false;
        connection.fill();
      }
    }
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
  /** In the loop's idle list (open model). */
  parked = false;
  readonly parser = new ResponseParser(this);
  /** The requests in flight, oldest first, in a ring: when each was written and due, and its events. */
  readonly writtenAt: Float64Array;
  readonly dueAt: Float64Array;
  readonly events: Int32Array;
  head = 0;
  inFlight = 0;
  /** When the data being parsed arrived. */
  readAt = 0;

  constructor(
    readonly loop: Loop,
    readonly target: Target,
  ) {
    this.writtenAt = new Float64Array(loop.options.pipelining);
    this.dueAt = new Float64Array(loop.options.pipelining);
    this.events = new Int32Array(loop.options.pipelining);
  }

  open(): void {
    const { loop, target } = this;
    this.connected = false;
    this.error = undefined;
    this.parser.reset();
    const socket = connect({
      host: target.host,
      port: target.port,
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

  /** Tops the pipeline up with never-sent (and, in the open model, due) requests, in one write. */
  fill(): void {
    const { loop } = this;
    const socket = this.socket;
    if (socket === undefined) return;
    const { pipelining } = loop.options;
    const first = loop.next;
    const n = loop.take(pipelining - this.inFlight);
    if (n > 0) this.write(socket, first, n);
    if (loop.interval > 0 && loop.hasWork && this.inFlight < pipelining) {
      if (!this.parked) {
        this.parked = true;
        loop.idle.push(this);
      }
    } else if (n === 0 && this.inFlight === 0 && !loop.hasWork) this.finish();
  }

  write(socket: Socket, first: number, n: number): void {
    const { loop } = this;
    const now = performance.now();
    const { bodies } = loop.options;
    const size = this.writtenAt.length;
    for (let i = 0; i < n; i++) {
      const slot = (this.head + this.inFlight + i) % size;
      this.writtenAt[slot] = now;
      this.events[slot] = bodies.eventsIn(first + i);
    }
    if (loop.interval > 0) {
      for (let i = 0; i < n; i++) this.dueAt[(this.head + this.inFlight + i) % size] = loop.dueAt(first + i);
      const late = now - loop.dueAt(first + n - 1);
      loop.lastLateMs = late;
      if (late > loop.maxLateMs) loop.maxLateMs = late;
    }
    this.inFlight += n;
    const { bytes, offsets, period } = this.target.requests;
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
    const { loop } = this;
    loop.ended(this.readAt);
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
      if (loop.corrected) {
        loop.corrected.recordValue(Math.max(Math.round((this.readAt - this.dueAt[head]!) * 1000), 1));
      }
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
  const offset = options.connectionOffset ?? 0;
  const connections = Array.from(
    { length: options.connections },
    (_, c) => new Connection(loop, loop.targets[(offset + c) % loop.targets.length] as Target),
  );
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
  loop.scheduleStart = performance.now();
  loop.startedAt = performance.timeOrigin + loop.scheduleStart;
  loop.endedAt = loop.startedAt;
  if (loop.interval > 0) loop.released = options.first + 1;
  // The open model's clock: every millisecond, release what fell due (wrk2 and k6 do the same).
  // Only here, not on every read as well: sent the moment each falls due, the requests went out
  // one per wake-up, spread thin, so client and server woke up more often for each request (about
  // 1.2-1.4x the client CPU per request of the closed loop at 50,000 req/s; docs/benchmarks.md).
  // Released once a millisecond they go out together; a request that waits for the tick is late
  // by under a millisecond, and the corrected latency, counted from when it was due, says so.
  const schedule =
    loop.interval > 0
      ? setInterval(() => {
          loop.release(performance.now());
          if (!loop.hasWork) clearInterval(schedule);
        }, 1)
      : undefined;
  for (const connection of connections) connection.reopen();
  if (connections.length > 0) await finished;
  clearInterval(sweep);
  clearInterval(schedule);
  await Promise.all(connections.map((connection) => connection.destroy()));
  return loop.result();
}
