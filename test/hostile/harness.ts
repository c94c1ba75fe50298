/**
 * What the hostile-traffic tests share: the three adapters, their timeouts, a raw-socket client
 * that records whatever comes back (or that the server hung up), and reading `/stats`.
 * See docs/reliability.md for what the tests try and the figures they print.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve as fastify } from '@1mrc/adapter-fastify';
import { serve as node } from '@1mrc/adapter-node';
import { serve as uws } from '@1mrc/adapter-uws';
import type { Snapshot } from '@1mrc/core';
import type { RunningServer, Serve, ServeOptions } from '@1mrc/server';
import { skipsUws } from '../uws-availability.js';

export const ADAPTERS = { node, fastify, uws } as const satisfies Record<string, Serve>;
export type AdapterName = keyof typeof ADAPTERS;

export function isAdapterName(name: string): name is AdapterName {
  return Object.hasOwn(ADAPTERS, name);
}

/** `HOSTILE_ADAPTERS=node,uws` runs the tests on some adapters only. */
export const adapterNames: readonly AdapterName[] = (
  process.env['HOSTILE_ADAPTERS']?.split(',') ?? Object.keys(ADAPTERS)
).filter((name) => isAdapterName(name) && !skipsUws(name)) as AdapterName[];

/**
 * Short enough for a test, long enough for a loaded machine. node:http and fastify take them;
 * uWS ignores them (see `UWS_TIMEOUT_MS`).
 */
export const TEST_TIMEOUTS = {
  headersTimeout: 2_000,
  requestTimeout: 3_000,
  keepAliveTimeout: 5_000,
} as const satisfies ServeOptions;

/**
 * uWS's one timeout, compiled in (`HTTP_IDLE_TIMEOUT_S`, 10 s) and checked on 4 s ticks: a
 * request that is not complete, or a connection that stays silent, is cut off 8 to 12 s after
 * its last answer (or its opening).
 */
export const UWS_TIMEOUT_MS = 10_000;

/** The longest a stalled connection may live on `adapter` started with `TEST_TIMEOUTS`. */
export function cutOffLimitMs(adapter: AdapterName): number {
  // uWS: 10 s plus a 4 s tick; node:http: the request timeout plus its 1 s check; then slack.
  return adapter === 'uws' ? UWS_TIMEOUT_MS + 4_000 + 3_000 : TEST_TIMEOUTS.requestTimeout + 1_000 + 3_000;
}

/** Every status the contract answers with (docs/http-api.md). */
export const CONTRACT_STATUSES: ReadonlySet<number> = new Set([200, 400, 401, 404, 405, 413, 415, 500, 503]);
/**
 * What an HTTP library answers for a head it refuses before the contract sees it: 400, or 431
 * for headers too large (node:http). Anything else means a request got somewhere it should not.
 */
export const HEAD_REFUSALS: ReadonlySet<number> = new Set([400, 431]);

/** Starts `adapter` on a free port, runs `use`, and closes the server whatever happens. */
export async function withServer<T>(
  adapter: AdapterName,
  options: ServeOptions,
  use: (server: RunningServer) => Promise<T>,
): Promise<T> {
  const server = await ADAPTERS[adapter]({ port: 0, ...options });
  try {
    return await use(server);
  } finally {
    await server.close();
  }
}

/** What would betray the server's insides: a stack frame, a source path, an internal module. */
export const LEAK = /\n\s+at |file:\/\/|\/work\/|\/home\/|node:internal|node_modules|\.[cm]?[jt]s:\d+/;

export async function readStats(url: string): Promise<Snapshot> {
  const answer = await fetch(`${url}/stats`);
  if (answer.status !== 200) throw new Error(`GET /stats answered ${answer.status}`);
  return (await answer.json()) as Snapshot;
}

export async function healthy(url: string): Promise<boolean> {
  try {
    const answer = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
    return answer.status === 200 && (await answer.text()) === '{"status":"ok"}';
  } catch {
    return false;
  }
}

export interface Answer {
  readonly status: number;
  /** Lower-case names; a repeated header keeps its last value. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface Outcome {
  /** Final answers (interim 1xx ones left out), in order. */
  readonly answers: readonly Answer[];
  /** The server closed or reset the connection before the wait was over. */
  readonly closed: boolean;
  /** Milliseconds from the first write to the close (or to the end of the wait). */
  readonly elapsedMs: number;
}

export interface TalkOptions {
  /** The longest to wait for the server to close. */
  readonly waitMs: number;
  /** Stop waiting (and hang up) as soon as this many answers arrived. */
  readonly answers?: number;
  /** Write `data` in this many pieces, `gapMs` apart (default 1: one write). */
  readonly pieces?: number;
  readonly gapMs?: number;
}

/**
 * Opens a connection to `url`, writes `data`, and records every answer until the server closes
 * the connection, `answers` arrived, or `waitMs` passed (then hangs up itself).
 */
export function talk(url: string, data: string | Uint8Array, options: TalkOptions): Promise<Outcome> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = Buffer.alloc(0);
    let settled = false;
    const started = Date.now();
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      try {
        resolve({ answers: parseAnswers(received, closed), closed, elapsedMs: Date.now() - started });
      } catch (error) {
        reject(error);
      }
    };
    const timer = setTimeout(() => finish(false), options.waitMs);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (options.answers !== undefined && parseAnswers(received, false).length >= options.answers) {
        finish(false);
      }
    });
    // A server that answers and hangs up while we still write resets the connection: a close.
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    const step = Math.ceil(bytes.length / (options.pieces ?? 1));
    let sent = 0;
    const writeNext = (): void => {
      if (settled || sent >= bytes.length) return;
      socket.write(bytes.subarray(sent, sent + step));
      sent += step;
      setTimeout(writeNext, options.gapMs ?? 0);
    };
    writeNext();
  });
}

/** The whole answers at the start of `bytes`; throws if the bytes are not HTTP/1.1 answers. */
export function parseAnswers(bytes: Buffer, closed: boolean): Answer[] {
  const answers: Answer[] = [];
  for (let at = 0; ; ) {
    const parsed = parseAnswer(bytes, at, closed);
    if (parsed === undefined) return answers;
    if (parsed.answer.status >= 200) answers.push(parsed.answer);
    at = parsed.next;
  }
}

/** The answer that starts at `at` (interim ones included) and where the next one starts. */
function parseAnswer(
  bytes: Buffer,
  at: number,
  closed: boolean,
): { answer: Answer; next: number } | undefined {
  const end = bytes.indexOf('\r\n\r\n', at);
  if (end === -1) return undefined;
  const [statusLine = '', ...lines] = bytes.subarray(at, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3}) /.exec(statusLine)?.[1]);
  if (!Number.isInteger(status)) throw new Error(`not an HTTP answer: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = headers['content-length'];
  const start = end + 4;
  let next: number;
  if (status < 200 || status === 204 || status === 304) next = start;
  else if (length !== undefined) next = start + Number(length);
  else if (closed) next = bytes.length;
  else return undefined;
  if (next > bytes.length) return undefined;
  return { answer: { status, headers, body: bytes.subarray(start, next) }, next };
}

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

/**
 * One keep-alive connection that knows, for each request, whether it was written and what came
 * back: `send` resolves with the answer, or rejects with `ConnectionClosed`.
 */
export class Connection {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  readonly #waiting: { resolve: (answer: Answer) => void; reject: (error: Error) => void }[] = [];
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#drain(false);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#closed = true;
      this.#drain(true);
      for (const waiter of this.#waiting.splice(0)) waiter.reject(new ConnectionClosed(true));
    });
  }

  static open(url: string): Promise<Connection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port), noDelay: true });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new Connection(socket));
      });
      socket.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.#closed || this.#socket.destroyed;
  }

  /** Writes `request` (several, pipelined, if `count` says so) and resolves with their answers. */
  send(request: string | Uint8Array, count = 1): Promise<Answer[]> {
    if (this.closed) return Promise.reject(new ConnectionClosed(false));
    const answers = Array.from(
      { length: count },
      () => new Promise<Answer>((resolve, reject) => this.#waiting.push({ resolve, reject })),
    );
    this.#socket.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request);
    return Promise.all(answers);
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #drain(closed: boolean): void {
    let at = 0;
    for (;;) {
      let parsed: ReturnType<typeof parseAnswer>;
      try {
        parsed = parseAnswer(this.#buffer, at, closed);
      } catch (error) {
        for (const waiter of this.#waiting.splice(0)) waiter.reject(error as Error);
        this.#socket.destroy();
        return;
      }
      if (parsed === undefined) break;
      at = parsed.next;
      if (parsed.answer.status >= 200) this.#waiting.shift()?.resolve(parsed.answer);
    }
    this.#buffer = this.#buffer.subarray(at);
  }
}

/** A complete `POST /event` request's bytes. */
export function postEvent(body: string, headers: Readonly<Record<string, string>> = {}): string {
  const lines = ['POST /event HTTP/1.1', 'host: 127.0.0.1', 'content-type: application/json'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (!Object.keys(headers).some((name) => /^(content-length|transfer-encoding)$/i.test(name))) {
    lines.push(`content-length: ${Buffer.byteLength(body)}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `task` on every item with at most `limit` running at once. */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export interface DriveResult {
  /** How many answers had each status. */
  readonly statuses: Readonly<Record<number, number>>;
  readonly elapsedMs: number;
}

/**
 * Sends `count` requests, `request(i)` for i = 0, 1, …, over `connections` keep-alive
 * connections, each waiting for its answer before its next request.
 */
export async function drive(
  url: string,
  connections: number,
  count: number,
  request: (i: number) => string,
): Promise<DriveResult> {
  const statuses: Record<number, number> = {};
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const connection = await Connection.open(url);
      try {
        while (next < count) {
          const [answer] = await connection.send(request(next++));
          const status = (answer as Answer).status;
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      } finally {
        connection.destroy();
      }
    }),
  );
  return { statuses, elapsedMs: Date.now() - started };
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A TypeScript script of this repository running in a child process, spoken to by lines. */
export interface Child {
  readonly pid: number;
  /** The rest of the next stdout line that starts with `${word} `. */
  line(word: string, timeoutMs?: number): Promise<string>;
  /** Writes `command` and a newline to its stdin. */
  send(command: string): void;
  /** What it printed so far, for error messages. */
  output(): string;
  readonly exited: Promise<number | null>;
  kill(): void;
}

/**
 * Starts `script` (relative to the repository) under `node --expose-gc`, its open-file limit
 * raised to `fileLimit` if the hard limit allows, else to the hard limit: `ulimit -n` can only be
 * changed from outside node, hence the shell.
 */
export function startChild(script: string, args: readonly string[], fileLimit = 1024): Child {
  const child = spawn(
    'bash',
    [
      '-c',
      `ulimit -n ${fileLimit} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`,
      'bash',
      process.execPath,
      '--expose-gc',
      '--conditions=source',
      '--import',
      'tsx',
      script,
      ...args,
    ],
    { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  let all = '';
  let partial = '';
  let wake: (() => void) | undefined;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    all += chunk;
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    wake?.();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    all += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      resolve(code);
      wake?.();
    }),
  );
  if (child.pid === undefined) throw new Error(`could not start ${script}`);
  return {
    pid: child.pid,
    async line(word, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = lines.findIndex((line) => line.startsWith(`${word} `));
        if (index !== -1) return (lines.splice(index, 1)[0] as string).slice(word.length + 1);
        if (child.exitCode !== null) throw new Error(`${script} exited (${child.exitCode}):\n${all}`);
        if (Date.now() > deadline)
          throw new Error(`${script} printed no "${word}" line in ${timeoutMs} ms:\n${all}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 250);
        });
      }
    },
    send: (command) => child.stdin.write(`${command}\n`),
    output: () => all,
    exited,
    kill: () => child.kill('SIGKILL'),
  };
}

/** The soft limit on open files of process `pid` (Linux), or undefined. */
export function openFileLimit(pid: number): number | undefined {
  try {
    const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
    const soft = /^Max open files\s+(\d+)/m.exec(limits)?.[1];
    return soft === undefined ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

export interface Memory {
  readonly rss: number;
  readonly heapUsed: number;
}

export interface ServerChild {
  readonly url: string;
  readonly pid: number;
  /** Resident set size and V8 heap after a full garbage collection. */
  memory(): Promise<Memory>;
  /** Drains and exits; the final snapshot it printed. */
  close(): Promise<Snapshot>;
  kill(): void;
}

/** `adapter` serving in a child process (test/hostile/server-child.ts). */
export async function startServerChild(
  adapter: AdapterName,
  options: ServeOptions = {},
  fileLimit?: number,
): Promise<ServerChild> {
  const child = startChild('test/hostile/server-child.ts', [adapter, JSON.stringify(options)], fileLimit);
  try {
    const url = await child.line('listening');
    return {
      url,
      pid: child.pid,
      async memory() {
        child.send('memory');
        return JSON.parse(await child.line('memory', 30_000)) as Memory;
      },
      async close() {
        child.send('close');
        const final = JSON.parse(await child.line('final', 60_000)) as Snapshot;
        await child.exited;
        return final;
      },
      kill: () => child.kill(),
    };
  } catch (error) {
    child.kill();
    throw error;
  }
}

export const MiB = 1024 * 1024;
