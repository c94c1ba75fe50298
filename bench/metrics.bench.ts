/**
 * What the metrics layer adds to one `POST /event` on the contract path every adapter runs
 * (route, body, record, reply): the same requests through `createContract` alone, through
 * `serverContract` with `metrics: false`, and with metrics on, in interleaved rounds so that
 * drift in the machine's load falls on each alike. No sockets: the difference is the layer's own
 * cost, in CPU nanoseconds per request, to set against a whole request's cost on uWS
 * (docs/benchmarks.md). One core:
 *   taskset -c 1 node --conditions=source --import tsx bench/metrics.bench.ts [rounds=9]
 */
import { loadavg } from 'node:os';
import { createStats } from '@1mrc/core';
import { type Contract, createContract, type RequestHead } from '@1mrc/core/http';
import { serverContract, serverSetup } from '@1mrc/server';

const USERS = 75_000;
const REQUESTS = 500_000;
const bodies = Array.from({ length: USERS }, (_, i) =>
  new TextEncoder().encode(JSON.stringify({ userId: `user_${i}`, value: i % 1000 })),
);
const head: RequestHead = {
  method: 'POST',
  url: '/event',
  contentType: 'application/json',
  contentLength: 30,
};

/**
 * Requests handled per event-loop turn: the metrics read the clock once per turn for the start
 * of every request of that turn (turn-clock.ts), so the turns are real ones (a `setImmediate`
 * between them). Small on purpose: a busy uWS server reads many more requests per poll.
 */
const PER_TURN = Number(process.env['PER_TURN'] ?? 8);
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * CPU nanoseconds (user + system, this process) per request over `REQUESTS` requests: on a
 * shared machine the wall clock also counts the time other work held the core.
 */
async function measure(contract: Contract): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) {
    if (i % PER_TURN === 0) await nextTurn();
    const route = contract.route(head);
    if (route.limit === undefined) throw new Error('expected a body route');
    const reply = route.handle(bodies[i % USERS] as Uint8Array);
    if (reply instanceof Promise || reply.status !== 200) throw new Error('expected a 200');
  }
  const { user, system } = process.cpuUsage(start);
  return ((user + system) * 1e3) / REQUESTS;
}

const variants: Record<string, Contract> = {
  'createContract alone': createContract({ store: createStats() }),
  'serverContract, metrics: false': serverContract(serverSetup({ store: createStats(), metrics: false })),
  'serverContract, metrics on': serverContract(serverSetup({ store: createStats() })),
};
const rounds = Number(process.argv[2] ?? 9);
console.log(
  `node ${process.version}, ${PER_TURN} requests per turn, load average at start: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
// Warm-up: the JIT, and each store's 75,000 users.
for (const contract of Object.values(variants)) await measure(contract);
const results = new Map<string, number[]>();
for (let r = 0; r < rounds; r++) {
  for (const [name, contract] of Object.entries(variants)) {
    results.set(name, [...(results.get(name) ?? []), await measure(contract)]);
  }
}
const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
for (const [name, ns] of results) {
  console.log(
    `${name.padEnd(32)} median ${median(ns).toFixed(0).padStart(5)} ns/request  [${ns.map((x) => x.toFixed(0)).join(' ')}]`,
  );
}
const base = median(results.get('createContract alone') ?? []);
const on = median(results.get('serverContract, metrics on') ?? []);
console.log(`metrics layer: ${(on - base).toFixed(0)} ns/request (median of ${rounds} interleaved rounds)`);
console.log(
  `load average at end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
