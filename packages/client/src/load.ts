/**
 * The load loop of one thread: `connections` undici Clients, each keeping `pipelining`
 * requests in flight, all drawing request indexes from one counter until the range is spent.
 */
import { build, type Histogram } from 'hdr-histogram-js';
import { Client, type Dispatcher } from 'undici';
import type { RequestBodies } from './pattern.js';

export interface LoadOptions {
  /** Connection c goes to `origins[(connectionOffset + c) % origins.length]`. */
  readonly origins: readonly string[];
  readonly connectionOffset?: number;
  /**
   * Open model: request k of [first, end) is due at `(k - first) / rate` seconds after the start,
   * and waits for a free connection from then on. Unset: closed loop, as fast as answers come.
   */
  readonly rate?: number;
  readonly path: string;
  readonly bodies: RequestBodies;
  /** The request indexes this loop sends: [first, end). */
  readonly first: number;
  readonly end: number;
  readonly connections: number;
  readonly pipelining: number;
  readonly timeoutMs: number;
  /** Once this many requests failed, no new request is started. */
  readonly maxErrors: number;
  /** Completed requests (ok or failed) are stored at `progress[progressIndex]` as they happen. */
  readonly progress?: Int32Array;
  readonly progressIndex?: number;
}

export interface LoadResult {
  readonly succeeded: number;
  /** Events in the requests that succeeded. */
  readonly eventsSucceeded: number;
  readonly failed: number;
  /** Requests never started because `maxErrors` was reached. */
  readonly notSent: number;
  /** Failures by kind: `connect`, `timeout`, `reset`, `status <code>`, `other <code>`. */
  readonly errors: Record<string, number>;
  /** Latency of successful requests, in microseconds, from when each was written. */
  readonly histogram: Histogram;
  /** With a rate: latency from when each request was due (its intended send time). */
  readonly corrected?: Histogram | undefined;
  /** With a rate: how late the last request was written after it was due, and the worst lateness, in ms. */
  readonly lateness?: { readonly lastMs: number; readonly maxMs: number } | undefined;
  /** `performance.timeOrigin + performance.now()` when the first request started, and the last ended. */
  readonly startedAt: number;
  readonly endedAt: number;
}

/**
 * Microsecond latencies up to an hour, 3 significant digits. Pure JS: WebAssembly records
 * faster (about 30-60 ns against 120-250 ns here) but that is under 1% of a request's
 * ~25 µs of client CPU, and JS histograms need no init, no destroy and cross threads as is.
 */
export function createHistogram(): Histogram {
  return build({
    useWebAssembly: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

const CONNECT = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
]);
const TIMEOUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const RESEND_REFUSED = 'RESEND_REFUSED';
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', RESEND_REFUSED]);

export function errorKind(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const name = typeof code === 'string' ? code : ((error as Error).name ?? 'Error');
  if (CONNECT.has(name)) return 'connect';
  if (TIMEOUT.has(name)) return 'timeout';
  if (RESET.has(name)) return 'reset';
  return `other ${name}`;
}

/**
 * undici re-sends the requests queued behind a failed one in a pipeline when the connection
 * drops (idempotent requests). The server may already have counted them, so a re-send is
 * refused and counted as a reset instead of silently sending an event twice.
 */
class ResendRefused extends Error {
  readonly code = RESEND_REFUSED;
  constructor() {
    super('refused to re-send a request after its connection was reset');
  }
}

const now = (): number => performance.timeOrigin + performance.now();

/**
 * One in-flight request position on one connection, reused for the next request once the
 * current one ends. It implements undici's original handler interface (onConnect/onHeaders/
 * onData/onComplete/onError) on purpose: undici 7 runs that one natively and wraps a handler
 * of the newer onRequestStart/onResponseStart interface in an adapter that also parses
 * every response's headers into an object.
 */
class Slot implements Dispatcher.DispatchHandler {
  started = 0;
  status = 0;
  events = 0;
  connected = false;

  constructor(
    readonly loop: Loop,
    readonly client: Client,
  ) {}

  onConnect(): void {
    if (this.connected) throw new ResendRefused();
    this.connected = true;
  }

  onHeaders(status: number): boolean {
    this.status = status;
    return true;
  }

  onData(): boolean {
    return true;
  }

  onComplete(): void {
    if (this.status >= 200 && this.status < 300) this.loop.succeed(this);
    else this.loop.fail(this, `status ${this.status}`);
  }

  onError(error: Error): void {
    this.loop.fail(this, errorKind(error));
  }
}

const HEADERS = ['content-type', 'application/json'];

/** What both engines count, and the result they hand back. */
export class Tally {
  next: number;
  active = 0;
  succeeded = 0;
  eventsSucceeded = 0;
  failed = 0;
  readonly errors: Record<string, number> = {};
  readonly histogram = createHistogram();
  readonly corrected: Histogram | undefined;
  lastLateMs = 0;
  maxLateMs = 0;
  startedAt = 0;
  endedAt = 0;
  done: () => void = () => {};

  constructor(readonly options: LoadOptions) {
    this.next = options.first;
    this.corrected = options.rate === undefined ? undefined : createHistogram();
  }

  result(): LoadResult {
    return {
      succeeded: this.succeeded,
      eventsSucceeded: this.eventsSucceeded,
      failed: this.failed,
      notSent: this.options.end - this.next,
      errors: this.errors,
      histogram: this.histogram,
      corrected: this.corrected,
      lateness: this.corrected ? { lastMs: this.lastLateMs, maxMs: this.maxLateMs } : undefined,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
    };
  }
}

class Loop extends Tally {
  start(slot: Slot): void {
    const { next, options } = this;
    if (next >= options.end || this.failed >= options.maxErrors) {
      this.active -= 1;
      if (this.active === 0) this.done();
      return;
    }
    this.next = next + 1;
    slot.status = 0;
    slot.connected = false;
    slot.events = options.bodies.eventsIn(next);
    slot.started = now();
    slot.client.dispatch(
      {
        path: options.path,
        method: 'POST',
        headers: HEADERS,
        body: options.bodies.body(next),
        // Without these undici waits for each POST's response before sending the next.
        idempotent: true,
        blocking: false,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      },
      slot,
    );
  }

  succeed(slot: Slot): void {
    const end = now();
    this.histogram.recordValue(Math.max(1, Math.round((end - slot.started) * 1000)));
    this.succeeded += 1;
    this.eventsSucceeded += slot.events;
    this.endedAt = end;
    this.ended(slot);
  }

  fail(slot: Slot, kind: string): void {
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
    this.failed += 1;
    this.endedAt = now();
    this.ended(slot);
  }

  ended(slot: Slot): void {
    const { progress, progressIndex = 0 } = this.options;
    if (progress) Atomics.store(progress, progressIndex, this.succeeded + this.failed);
    this.start(slot);
  }
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (options.rate !== undefined) throw new TypeError('Expected no rate with the undici engine: use raw');
  const loop = new Loop(options);
  const clients: Client[] = [];
  const { origins, connectionOffset = 0 } = options;
  for (let c = 0; c < options.connections; c++) {
    clients.push(
      new Client(origins[(connectionOffset + c) % origins.length] as string, {
        pipelining: options.pipelining,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
        connectTimeout: options.timeoutMs,
        keepAliveTimeout: 60_000,
      }),
    );
  }
  const slots = clients.flatMap((client) =>
    Array.from({ length: options.pipelining }, () => new Slot(loop, client)),
  );
  const finished = new Promise<void>((resolve) => {
    loop.done = resolve;
  });
  loop.active = slots.length;
  loop.startedAt = now();
  loop.endedAt = loop.startedAt;
  for (const slot of slots) loop.start(slot);
  if (slots.length > 0) await finished;
  await Promise.all(clients.map((client) => client.destroy()));
  return loop.result();
}
