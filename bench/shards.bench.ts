/**
 * The aggregator's ceiling: how many events per second the primary can merge, from deltas of
 * DELTA events over USERS users (the challenge's 75,000), in steady state (the master already
 * knows every user). Also the cost of carrying a delta (structured clone for worker threads,
 * JSON for cluster IPC) and of a whole gather round over real MessageChannels.
 *
 *   node --conditions=source --import tsx bench/shards.bench.ts [--delta 10000] [--users 75000]
 *
 * Figures are medians of timed repetitions on one core; pin it for steadier ones (taskset -c 1).
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { createStats, type StatsState } from '@1mrc/core';
import { createAggregator, type ShardStore, serveShard } from '@1mrc/server/shards';
import { random } from './random.js';

const { values: args } = parseArgs({
  options: {
    delta: { type: 'string', default: '10000' },
    users: { type: 'string', default: '75000' },
    repeats: { type: 'string', default: '41' },
  },
});
const DELTA = Number(args.delta);
const USERS = Number(args.users);
const REPEATS = Number(args.repeats);

const next = random(7);
const ids = Array.from({ length: USERS }, (_, i) => `user_${i}`);
const event = (): [string, number] => [ids[Math.floor(next() * USERS)]!, Math.floor(next() * 1000) / 10];

/** A delta as a worker hands it over: DELTA events recorded since the last collect. */
function delta(): StatsState {
  const shard = createStats();
  for (let i = 0; i < DELTA; i++) shard.record(...event());
  return shard.exportState();
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median milliseconds of `run` over REPEATS runs, each on a fresh input from `prepare`. */
function time<T>(prepare: () => T, run: (input: T) => void): number {
  const samples: number[] = [];
  for (let i = 0; i < REPEATS + 3; i++) {
    const input = prepare();
    const start = process.hrtime.bigint();
    run(input);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (i >= 3) samples.push(ms); // The first runs warm the JIT up.
  }
  return median(samples);
}

const rate = (ms: number): string => `${Math.round((DELTA / ms) * 1000).toLocaleString('en-US')} events/s`;
const line = (name: string, ms: number): void =>
  console.log(`${name.padEnd(46)} ${ms.toFixed(3).padStart(8)} ms   ${rate(ms).padStart(22)}`);

console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} CPUs`);
console.log(
  `load average at start: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
const sample = delta();
console.log(
  `delta: ${DELTA} events over ${USERS} users → ${sample.users.length} distinct ids; ` +
    `${JSON.stringify(sample).length} bytes as JSON\n`,
);

// The primary's own work per delta: decode it, then merge it into a master that knows every user.
const master = createStats();
master.mergeState({ totalRequests: 0, users: ids, sum: createStats().exportState().sum });
const merge = time(delta, (state) => master.mergeState(state));
line('merge into master (primary)', merge);
const clone = time(delta, (state) => structuredClone(state));
line('structured clone (worker_threads message)', clone);
const json = time(
  () => JSON.stringify(delta()),
  (text) => JSON.parse(text),
);
line('JSON.parse (cluster IPC, primary side)', json);
const exported = time(
  () => {
    const shard = createStats();
    for (let i = 0; i < DELTA; i++) shard.record(...event());
    return shard;
  },
  (shard) => {
    shard.exportState();
    shard.reset();
  },
);
line('exportState + reset (worker side)', exported);
line('primary per delta, threads (clone + merge)', clone + merge);
line('primary per delta, cluster (JSON.parse + merge)', json + merge);

// A whole round trip in one thread: two shards over MessageChannels, DELTA events between reads.
const ports: MessagePort[] = [];
const aggregator = createAggregator({ onFatal: (error) => console.error(error) });
const shards: ShardStore[] = [];
await Promise.all(
  [0, 1].map((i) => {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    serveShard(
      { postMessage: (m) => port2.postMessage(m), onMessage: (fn) => port2.on('message', fn) },
      async (o) => {
        shards[i] = o.store as ShardStore;
        return { port: 0, close: async () => {} };
      },
    );
    return aggregator.start(
      { postMessage: (m) => port1.postMessage(m), onMessage: (fn) => port1.on('message', fn) },
      {},
      `worker ${i + 1}`,
    );
  }),
);
// Steady state, as for the merge above: the master knows every user already.
for (const id of ids) shards[0]!.record(id, 0);
await shards[0]!.snapshot();
const rounds: number[] = [];
for (let i = 0; i < REPEATS + 3; i++) {
  for (let j = 0; j < DELTA; j++) shards[j % 2]!.record(...event());
  const start = process.hrtime.bigint();
  await shards[0]!.snapshot();
  if (i >= 3) rounds.push(Number(process.hrtime.bigint() - start) / 1e6);
}
line('gather round, 2 shards, all in this thread', median(rounds));
const empty: number[] = [];
for (let i = 0; i < REPEATS; i++) {
  const start = process.hrtime.bigint();
  await shards[0]!.snapshot();
  empty.push(Number(process.hrtime.bigint() - start) / 1e6);
}
console.log(
  `${'gather round with nothing new (latency floor)'.padEnd(46)} ${median(empty).toFixed(3).padStart(8)} ms`,
);
for (const port of ports) port.close();
