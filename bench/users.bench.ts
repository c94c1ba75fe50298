/**
 * Capacity bench: how many distinct users one engine holds, and what each costs.
 *
 * `pnpm bench:users [--users 100000000] [--no-cliff]` records `user_<i>` (a fresh string per
 * event, as a server gets them) for i from 0 to N into `createStats()`, and at 1M, 10M,
 * 2^24 + 1 (one past V8's Set limit) and N users runs a full GC and reports heap and RSS per
 * user over the empty engine (id strings included). Last, unless `--no-cliff`, the engine as
 * it was (one plain Set, `bench/plain-set-stats.ts`) is fed the same way to show where it stops
 * (after the measurements: memory it frees is not all returned to the OS, which would skew RSS).
 *
 * Needs `--expose-gc` and a large old space (the pnpm script passes both); 100M users take
 * about 6 GB of heap.
 */
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { createStats, StatsError } from '@1mrc/core';
import { createPlainSetStats } from './plain-set-stats.js';

const { values } = parseArgs({
  options: { users: { type: 'string', default: '100000000' }, 'no-cliff': { type: 'boolean' } },
});
const target = Number(values.users);
if (!Number.isSafeInteger(target) || target < 1) {
  throw new TypeError(`Expected --users to be a positive integer, got ${values.users}`);
}
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (pnpm bench:users does)');
const collect: () => void = gc;

const V8_SET_LIMIT = 2 ** 24;
const MB = 1024 * 1024;
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
console.log(
  `node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} CPUs, ` +
    `${(totalmem() / 1024 ** 3).toFixed(1)} GiB; load average at start: ${load()}`,
);

function memory(): { heap: number; rss: number } {
  collect();
  const { heapUsed, rss } = process.memoryUsage();
  return { heap: heapUsed, rss };
}

/** The old engine, fed until `record` throws; in a function, so its Set is garbage after. */
function plainSetCliff(): void {
  const plain = createPlainSetStats();
  const started = performance.now();
  let refused: unknown;
  try {
    for (let i = 0; i <= V8_SET_LIMIT; i++) plain.record(`user_${i}`, i % 1000);
  } catch (error) {
    refused = error;
  }
  const seconds = (performance.now() - started) / 1000;
  const outcome =
    refused === undefined
      ? 'no error (this Node has no 2^24 limit)'
      : `${(refused as Error).name}: ${(refused as Error).message}`;
  console.log(
    `plain-Set engine: ${plain.uniqueUsers.toLocaleString('en-US')} users, then ${outcome}; ` +
      `it had counted ${plain.totalRequests.toLocaleString('en-US')} events (${seconds.toFixed(1)} s)`,
  );
}

const checkpoints = [...new Set([1_000_000, 10_000_000, V8_SET_LIMIT + 1, target])]
  .filter((n) => n <= target)
  .sort((a, b) => a - b);

const base = memory();
const stats = createStats();
const rows: Record<string, string>[] = [];
const started = performance.now();
let recorded = 0;
for (const checkpoint of checkpoints) {
  const from = performance.now();
  for (; recorded < checkpoint; recorded++) stats.record(`user_${recorded}`, recorded % 1000);
  const seconds = (performance.now() - from) / 1000;
  const users = stats.snapshot().uniqueUsers;
  if (users !== checkpoint) throw new Error(`expected ${checkpoint} users, got ${users}`);
  const now = memory();
  const row = {
    users: checkpoint.toLocaleString('en-US'),
    'heap MB': ((now.heap - base.heap) / MB).toFixed(0),
    'heap B/user': ((now.heap - base.heap) / checkpoint).toFixed(1),
    'RSS MB': ((now.rss - base.rss) / MB).toFixed(0),
    'RSS B/user': ((now.rss - base.rss) / checkpoint).toFixed(1),
    'new users/s (this step)': Math.round(
      (checkpoint - (rows.length === 0 ? 0 : checkpoints[rows.length - 1]!)) / seconds,
    ).toLocaleString('en-US'),
  };
  rows.push(row);
  // Each row as it comes: a long run stopped early still leaves its figures.
  console.log(`  after ${((performance.now() - started) / 1000).toFixed(0)} s: ${JSON.stringify(row)}`);
}
console.table(rows);

// Past the spill, known users are found wherever they live: a sweep of repeats adds no user.
const before = stats.snapshot();
for (let i = 0; i < target; i += 997) stats.record(`user_${i}`, 0);
const after = stats.snapshot();
if (after.uniqueUsers !== before.uniqueUsers) {
  throw new Error(`repeat users were counted as new: ${before.uniqueUsers} → ${after.uniqueUsers}`);
}
// And the cap is still enforceable at this size: a capped engine refuses the next new user.
const capped = createStats({ maxUsers: 1 });
capped.record('only', 1);
try {
  capped.record('another', 1);
  throw new Error('maxUsers did not refuse');
} catch (error) {
  if (!(error instanceof StatsError && error.code === 'TOO_MANY_USERS')) throw error;
}
console.log(
  `repeats of ${Math.ceil(target / 997).toLocaleString('en-US')} known users added none ` +
    `(uniqueUsers ${after.uniqueUsers.toLocaleString('en-US')}); load average at end: ${load()}`,
);
if (!values['no-cliff']) plainSetCliff();
