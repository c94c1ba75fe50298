/**
 * Requests whose client hangs up in the middle: in the body (Content-Length or chunked, each
 * holding a complete valid event so far, so counting it would be counting half a request), in
 * the head, in a batch; half closed (FIN), half reset (RST). None may be counted, the server
 * must keep serving (a good event every 100 aborts is answered and counted), and its memory must
 * not grow once warm. HOSTILE_ABORTS sets how many (100,000 for the long run; CI does fewer).
 */
import { connect } from 'node:net';
import {
  type AdapterName,
  type HeapMemory,
  postEvent,
  RawConnection,
  type ServerChild,
  startServerChild,
  testAdapters,
} from '@1mrc/testkit';
import { describe, expect, it } from 'vitest';
import { MiB } from './limits.js';
import { pool } from './load.js';

const ABORTS = Number(process.env['HOSTILE_ABORTS'] ?? 3_000);
const CONCURRENCY = 64;
const GOOD_EVERY = 100;
/** The first fifth warms the server up (JIT, pools, buffers) before memory is measured. */
const WARM_UP = Math.ceil(ABORTS / 5);
/**
 * Memory is read after a full GC every this many aborts. A leak is what survives collection; an
 * aborted socket's native memory is freed only when a major GC finalises its handle, and between
 * two of them the malloc high-water mark grows and stays (on Node 24, 16 MiB over 25,000 aborts
 * read only at the start and end, flat when read every 5,000). Collecting on a fixed step keeps
 * that high-water mark to one step's worth, the same for any HOSTILE_ABORTS.
 */
const STEP = 500;
/**
 * Growth allowed from the end of the warm-up to the end, after a full GC: the V8 heap is the
 * sharp measure (a leaked request object or closure is on it); RSS is coarser (freed pages are
 * not always returned), so its bound is wider. Measured figures: docs/reliability.md.
 */
const MAX_HEAP_GROWTH = 2 * MiB;
/** Buffers live outside the heap, in `external`: flat (to 0.1 MiB) on every adapter and Node measured. */
const MAX_EXTERNAL_GROWTH = 1 * MiB;
const MAX_RSS_GROWTH = 16 * MiB;

const EVENT = '{"userId":"aborted","value":1}';
const HALF_REQUESTS: readonly string[] = [
  // Content-Length promises more than comes: the event so far is whole, the request is not.
  `POST /event HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n${EVENT}`,
  // A chunk holding the whole event, and no last chunk.
  `POST /event HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${EVENT.length.toString(16)}\r\n${EVENT}\r\n`,
  // The head cut short.
  'POST /event HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-le',
  // A batch cut short.
  `POST /events HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n[${EVENT},${EVENT}`,
];

/** Writes half a request, then hangs up: with a FIN, or a reset when `reset`. */
function abort(url: string, bytes: string, reset: boolean): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.on('error', () => {});
    socket.on('close', () => resolve());
    socket.once('connect', () =>
      socket.write(bytes, 'latin1', () => (reset ? socket.resetAndDestroy() : socket.destroy())),
    );
  });
}

/** Runs aborts number `from` to `to` (exclusive), with a good event every `GOOD_EVERY`; returns how many were answered 200. */
async function run(server: ServerChild, good: RawConnection, from: number, to: number): Promise<number> {
  let acked = 0;
  const indexes = Array.from({ length: to - from }, (_, k) => from + k);
  await pool(indexes, CONCURRENCY, async (i) => {
    await abort(server.url, HALF_REQUESTS[i % HALF_REQUESTS.length] as string, i % 2 === 1);
    if (i % GOOD_EVERY === 0) {
      const [answer] = await good.send(postEvent(server.url, `{"userId":"good_${i % 7}","value":${i % 10}}`));
      if (answer?.status === 200) acked++;
    }
  });
  return acked;
}

const mib = (bytes: number): string => (bytes / MiB).toFixed(1);

async function aborts(adapter: AdapterName): Promise<void> {
  const server = await startServerChild(adapter, {});
  try {
    const good = await RawConnection.open(server.url);
    const started = Date.now();
    let acked = await run(server, good, 0, WARM_UP);
    const warm: HeapMemory = await server.memory();
    let end = warm;
    for (let from = WARM_UP; from < ABORTS; from += STEP) {
      acked += await run(server, good, from, Math.min(from + STEP, ABORTS));
      end = await server.memory();
    }
    const seconds = (Date.now() - started) / 1000;
    good.destroy();
    const final = await server.close();

    const goodSent = Math.ceil(ABORTS / GOOD_EVERY);
    expect(acked).toBe(goodSent);
    expect(final.totalRequests).toBe(goodSent);
    console.log(
      `aborts ${adapter}: ${ABORTS} aborted requests in ${seconds.toFixed(1)} s, none counted, ${acked} good events ` +
        `between them counted; after warm-up (${WARM_UP}) → end: heap ${mib(warm.heapUsed)} → ` +
        `${mib(end.heapUsed)} MiB, RSS ${mib(warm.rss)} → ${mib(end.rss)} MiB (heap committed ${mib(warm.heapTotal)} → ${mib(end.heapTotal)}, external ${mib(warm.external)} → ${mib(end.external)})`,
    );
    expect(end.heapUsed - warm.heapUsed).toBeLessThan(MAX_HEAP_GROWTH);
    expect(end.external - warm.external).toBeLessThan(MAX_EXTERNAL_GROWTH);
    expect(end.rss - warm.rss).toBeLessThan(MAX_RSS_GROWTH);
  } finally {
    server.kill();
  }
}

describe('aborted requests', () => {
  for (const adapter of testAdapters) {
    it(
      `${adapter}: ${ABORTS} requests cut off mid-way: none counted, no growth, still serving`,
      () => aborts(adapter),
      Math.max(120_000, ABORTS * 10),
    );
  }
});
