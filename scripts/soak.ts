/**
 * `pnpm soak [--adapter node|fastify|uws] [--duration 5m]`: mixed hostile traffic against one
 * adapter (each in turn by default), served from a child process, for the given time:
 * good events, invalid bodies, wrong routes and types, oversized bodies, aborted requests,
 * pipelined bursts, JSON and NDJSON batches (some with a bad event), and `/stats` read all along.
 * At the end it checks that `/stats` equals exactly what the good events make (a reference
 * store, and the sum and average again with the BigInt oracle of `@1mrc/core/oracle`), that
 * no request got a status it should not, that `/stats` never went backwards, and that the
 * server's memory after warm-up stayed within a bound. Prints a short report; exits 1 if anything did not hold.
 */
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { createStats, type Event } from '@1mrc/core';
import { add, type Dyadic, fromDouble, nearestDouble, ZERO } from '@1mrc/core/oracle';
import {
  type AdapterName,
  ConnectionClosed,
  getRequest,
  type HeapMemory,
  postEvent,
  RawConnection,
  rawRequest,
  readStats,
  type ServerChild,
  selectAdapters,
  startServerChild,
} from '@1mrc/testkit';
import { MiB } from '../test/hostile/limits.js';
import { sleep } from '../test/hostile/load.js';

const { values } = parseArgs({ options: { adapter: { type: 'string' }, duration: { type: 'string' } } });
const adapters: readonly AdapterName[] = selectAdapters(values.adapter);
const durationMs = parseDuration(values.duration ?? '1m');

/** Users are drawn from a fixed pool, so the store stops growing once warm. */
const USERS = 5_000;
/** HeapMemory the server may gain from the end of warm-up to the end, after a full GC. */
const MAX_RSS_GROWTH = 32 * MiB;
const MAX_HEAP_GROWTH = 8 * MiB;
const SAMPLE_EVERY_MS = 5_000;

function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!match) throw new TypeError(`Expected a duration such as 90s or 5m, got ${text}`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1_000;
  return Number(match[1]) * unit;
}

const JSON_TYPE = 'content-type: application/json\r\n';
const JSON_HEADERS = { 'content-type': 'application/json' };
const request = (url: string, method: string, path: string, body = '', headers = JSON_HEADERS): Buffer =>
  rawRequest(url, method, path, headers, body);

/** Requests that must be refused, with the status each must get. */
const REFUSED: readonly (readonly [(url: string) => Buffer, number])[] = [
  [(url) => request(url, 'POST', '/event', '{"userId":"u","value":"1"}'), 400],
  [(url) => request(url, 'POST', '/event', '{"userId":"","value":1}'), 400],
  [(url) => request(url, 'POST', '/event', '{"userId":"u"}'), 400],
  [(url) => request(url, 'POST', '/event', '{"userId":"u","value":1e400}'), 400],
  [(url) => request(url, 'POST', '/event', 'userId=u&value=1'), 400],
  [(url) => request(url, 'POST', '/event', ''), 400],
  [(url) => request(url, 'POST', '/event', '\ufeff{"userId":"u","value":1}'), 400],
  [
    (url) => request(url, 'POST', '/event', '{"userId":"u","value":1}', { 'content-type': 'text/plain' }),
    415,
  ],
  [(url) => request(url, 'GET', '/event'), 405],
  [(url) => request(url, 'POST', '/stats', '{}'), 405],
  [(url) => request(url, 'POST', '/nope', '{"userId":"u","value":1}'), 404],
  [(url) => request(url, 'POST', '/reset', ''), 404],
  [(url) => request(url, 'POST', '/events', '{"userId":"u","value":1}'), 400],
];

interface Tally {
  readonly sent: Record<string, number>;
  /** `kind status` → count, for statuses a request of that kind must never get. */
  readonly unexpected: Record<string, number>;
  statsBackwards: number;
}

function randomEvent(): Event {
  const userId = `soak_${Math.floor(Math.random() * USERS)}`;
  const r = Math.random();
  // Mostly ordinary values; some large and tiny ones, where a float running sum would drift.
  const value =
    r < 0.9
      ? Math.round((Math.random() * 2000 - 1000) * 1000) / 1000
      : r < 0.95
        ? (Math.random() - 0.5) * 1e16
        : Math.random() * 1e-300;
  return { userId, value };
}

class Soak {
  readonly reference = createStats();
  /** The exact sum of the accepted values, kept apart from the engine it checks. */
  sum: Dyadic = ZERO;
  readonly tally: Tally = { sent: {}, unexpected: {}, statsBackwards: 0 };
  readonly #deadline: number;

  constructor(
    readonly url: string,
    durationMs: number,
  ) {
    this.#deadline = Date.now() + durationMs;
  }

  get running(): boolean {
    return Date.now() < this.#deadline;
  }

  count(kind: string, n = 1): void {
    this.tally.sent[kind] = (this.tally.sent[kind] ?? 0) + n;
  }

  unexpected(kind: string, what: string | number): void {
    const key = `${kind} ${what}`;
    this.tally.unexpected[key] = (this.tally.unexpected[key] ?? 0) + 1;
  }

  accepted(events: readonly Event[]): void {
    this.reference.recordBatch(events);
    for (const event of events) this.sum = add(this.sum, fromDouble(event.value));
  }

  /** Runs `step` on a kept-alive connection until the deadline, reconnecting when it closes. */
  async loop(kind: string, step: (connection: RawConnection) => Promise<void>): Promise<void> {
    while (this.running) {
      let connection: RawConnection;
      try {
        connection = await RawConnection.open(this.url);
      } catch (error) {
        this.unexpected(kind, `connect: ${(error as { code?: string }).code ?? error}`);
        await sleep(100);
        continue;
      }
      try {
        while (this.running && !connection.closed) await step(connection);
      } catch (error) {
        this.unexpected(kind, error instanceof ConnectionClosed ? error.message : String(error));
      } finally {
        connection.destroy();
      }
    }
  }

  good = (connection: RawConnection): Promise<void> =>
    this.#exchange(connection, 'good', [randomEvent()], (events) =>
      postEvent(connection.url, JSON.stringify(events[0])),
    );

  refused = async (connection: RawConnection): Promise<void> => {
    const [bytes, status] = REFUSED[Math.floor(Math.random() * REFUSED.length)] as (typeof REFUSED)[number];
    const [answer] = await connection.send(bytes(connection.url));
    this.count('refused');
    if (answer?.status !== status) this.unexpected('refused', `${answer?.status} instead of ${status}`);
  };

  batch = async (connection: RawConnection): Promise<void> => {
    const events = Array.from({ length: 1 + Math.floor(Math.random() * 50) }, randomEvent);
    const ndjson = Math.random() < 0.5;
    const body = ndjson ? events.map((event) => JSON.stringify(event)).join('\n') : JSON.stringify(events);
    const headers = ndjson ? { 'content-type': 'application/x-ndjson' } : JSON_HEADERS;
    if (Math.random() < 0.1) {
      // One bad event spoils the batch: all or nothing.
      const bad = JSON.stringify([...events, { userId: 'bad', value: 'x' }]);
      const [answer] = await connection.send(request(connection.url, 'POST', '/events', bad));
      this.count('bad batches');
      if (answer?.status !== 400) this.unexpected('bad batch', answer?.status ?? 'none');
      return;
    }
    const [answer] = await connection.send(request(connection.url, 'POST', '/events', body, headers));
    this.count('batches');
    if (answer?.status === 200 && answer.body.toString() === `{"accepted":${events.length}}`) {
      this.count('batched events', events.length);
      this.accepted(events);
    } else {
      this.unexpected('batch', answer?.status ?? 'none');
    }
  };

  /** Sixteen events and a `/stats` in one write: answered in order, all 200. */
  pipelined = async (connection: RawConnection): Promise<void> => {
    const events = Array.from({ length: 16 }, randomEvent);
    const bytes = [...events.slice(0, 8), undefined, ...events.slice(8)]
      .map((event) =>
        event ? postEvent(connection.url, JSON.stringify(event)) : getRequest(connection.url, '/stats'),
      )
      .join('');
    const answers = await connection.send(bytes, 17);
    this.count('pipelined bursts');
    const events200 = answers.filter((answer, i) => i !== 8 && answer.status === 200).length;
    if (events200 !== 16 || answers[8]?.status !== 200)
      this.unexpected('pipelined', answers.map((a) => a.status).join(','));
    else {
      this.count('pipelined events', 16);
      this.accepted(events);
    }
  };

  /** Too large by Content-Length, or as a chunked body past 4 KiB: 413 and the connection closed. */
  oversized = async (connection: RawConnection): Promise<void> => {
    const chunked = Math.random() < 0.5;
    const bytes = chunked
      ? `POST /event HTTP/1.1\r\nhost: x\r\n${JSON_TYPE}transfer-encoding: chunked\r\n\r\n${'1000\r\n'}${'x'.repeat(4096)}\r\n${'10\r\n'}${'y'.repeat(16)}\r\n`
      : request(
          connection.url,
          'POST',
          '/event',
          JSON.stringify({ userId: 'big', value: 1, pad: 'x'.repeat(5000) }),
        );
    const [answer] = await connection.send(bytes);
    this.count('oversized');
    if (answer?.status !== 413) this.unexpected('oversized', answer?.status ?? 'none');
    connection.destroy(); // The server closes it after a 413 anyway.
  };

  /** Half a request (head or body), then a FIN or a reset. */
  async abort(): Promise<void> {
    const { hostname, port } = new URL(this.url);
    const event = '{"userId":"aborted","value":1}';
    const half = [
      `POST /event HTTP/1.1\r\nhost: x\r\n${JSON_TYPE}content-length: 100\r\n\r\n${event}`,
      `POST /events HTTP/1.1\r\nhost: x\r\n${JSON_TYPE}transfer-encoding: chunked\r\n\r\n${(event.length + 1).toString(16)}\r\n[${event}\r\n`,
      'POST /event HTTP/1.1\r\nhost: x\r\ncontent-le',
    ][Math.floor(Math.random() * 3)] as string;
    await new Promise<void>((resolve) => {
      const socket = connect({ host: hostname, port: Number(port) });
      socket.on('error', () => {});
      socket.on('close', () => resolve());
      socket.once('connect', () =>
        socket.write(half, () => (Math.random() < 0.5 ? socket.destroy() : socket.resetAndDestroy())),
      );
    });
    this.count('aborted');
  }

  /** Reads `/stats` all along: it must never go backwards. */
  stats = async (connection: RawConnection): Promise<void> => {
    const [answer] = await connection.send(getRequest(connection.url, '/stats'));
    this.count('stats reads');
    if (answer?.status !== 200) return this.unexpected('stats', answer?.status ?? 'none');
    const { totalRequests } = JSON.parse(answer.body.toString()) as { totalRequests: number };
    if (totalRequests < this.#lastTotal) this.tally.statsBackwards++;
    this.#lastTotal = totalRequests;
    await sleep(20);
  };
  #lastTotal = 0;

  async #exchange(
    connection: RawConnection,
    kind: string,
    events: readonly Event[],
    bytes: (events: readonly Event[]) => string,
  ): Promise<void> {
    const [answer] = await connection.send(bytes(events));
    this.count(kind);
    if (answer?.status === 200) this.accepted(events);
    else this.unexpected(kind, answer?.status ?? 'none');
  }
}

/** Samples the server's memory (after a GC) every few seconds; `warm` is the first past the warm-up. */
async function sampleMemory(
  server: ServerChild,
  soak: Soak,
  warmUpMs: number,
): Promise<{ warm: HeapMemory; samples: HeapMemory[] }> {
  const started = Date.now();
  const samples: HeapMemory[] = [];
  let warm: HeapMemory | undefined;
  while (soak.running) {
    await sleep(SAMPLE_EVERY_MS);
    if (!soak.running) break;
    const memory = await server.memory();
    samples.push(memory);
    if (warm === undefined && Date.now() - started >= warmUpMs) warm = memory;
  }
  return { warm: warm ?? (await server.memory()), samples };
}

async function soakOne(adapter: AdapterName): Promise<boolean> {
  const server = await startServerChild(adapter, {}, 65_536);
  const soak = new Soak(server.url, durationMs);
  const started = Date.now();
  const warmUpMs = Math.max(10_000, durationMs / 5);
  try {
    const aborts = async (): Promise<void> => {
      while (soak.running) await soak.abort();
    };
    const [memory] = await Promise.all([
      sampleMemory(server, soak, warmUpMs),
      ...Array.from({ length: 4 }, () => soak.loop('good', soak.good)),
      soak.loop('refused', soak.refused),
      soak.loop('batch', soak.batch),
      soak.loop('pipelined', soak.pipelined),
      soak.loop('oversized', soak.oversized),
      soak.loop('stats', soak.stats),
      aborts(),
      aborts(),
    ]);
    const end = await server.memory();
    const served = await readStats(server.url);
    const expected = soak.reference.snapshot();
    const final = await server.close();
    const seconds = (Date.now() - started) / 1000;

    const exact =
      JSON.stringify(served) === JSON.stringify(expected) &&
      JSON.stringify(final) === JSON.stringify(expected);
    const count = soak.reference.snapshot().totalRequests;
    const sumHolds =
      Object.is(served.sum, nearestDouble(soak.sum)) &&
      Object.is(served.avg, count === 0 ? 0 : nearestDouble(soak.sum, BigInt(count)));
    const rssGrowth = end.rss - memory.warm.rss;
    const heapGrowth = end.heapUsed - memory.warm.heapUsed;
    const peak = Math.max(...memory.samples.map((sample) => sample.rss), end.rss);
    const memoryHolds = rssGrowth <= MAX_RSS_GROWTH && heapGrowth <= MAX_HEAP_GROWTH;
    const statusesHold = Object.keys(soak.tally.unexpected).length === 0 && soak.tally.statsBackwards === 0;
    const total = Object.entries(soak.tally.sent)
      .filter(([kind]) => !kind.endsWith('events'))
      .reduce((sum, [, n]) => sum + n, 0);
    const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

    console.log(
      `\n== soak ${adapter}: ${seconds.toFixed(0)} s, ${total} requests (${Math.round(total / seconds)}/s)`,
    );
    console.log(
      `   ${Object.entries(soak.tally.sent)
        .map(([kind, n]) => `${kind} ${n}`)
        .join(', ')}`,
    );
    console.log(
      `   stats ${exact ? 'exact' : 'WRONG'}: ${JSON.stringify(served)}${exact ? '' : ` expected ${JSON.stringify(expected)}`}; ` +
        `oracle ${sumHolds ? 'agrees' : 'DISAGREES'}`,
    );
    console.log(
      `   statuses ${statusesHold ? 'as expected' : `UNEXPECTED ${JSON.stringify(soak.tally.unexpected)}`}; ` +
        `/stats went backwards ${soak.tally.statsBackwards} times`,
    );
    console.log(
      `   memory after GC: warm (${(warmUpMs / 1000).toFixed(0)} s) RSS ${mib(memory.warm.rss)}, heap ${mib(memory.warm.heapUsed)}; ` +
        `end RSS ${mib(end.rss)} (${rssGrowth >= 0 ? '+' : ''}${mib(rssGrowth)}), heap ${mib(end.heapUsed)} ` +
        `(${heapGrowth >= 0 ? '+' : ''}${mib(heapGrowth)}); peak RSS ${mib(peak)}; ` +
        `${memoryHolds ? 'within' : 'PAST'} the bound (+${mib(MAX_RSS_GROWTH)} RSS, +${mib(MAX_HEAP_GROWTH)} heap)`,
    );
    return exact && sumHolds && memoryHolds && statusesHold;
  } finally {
    server.kill();
  }
}

let held = true;
for (const adapter of adapters) held = (await soakOne(adapter)) && held;
console.log(held ? '\nsoak: everything held' : '\nsoak: FAILED');
process.exit(held ? 0 : 1);
