/**
 * The challenge through uWS on the in-memory store and on the Redis store, in the same run:
 *
 *   pnpm bench:redis [--requests 1000000] [--concurrency 1000] [--fsync everysec|always]
 *                    [--shards 1] [--server-cpu 0] [--redis-cpu 1]
 *
 * Redis runs on this machine with `appendonly yes` (AOF, fsync policy from --fsync), in a
 * temporary directory on a free port. The server is pinned to --server-cpu; redis-server and
 * this process (the load client) to --redis-cpu, so on a 2-CPU machine the client and Redis
 * share a CPU: say so when quoting the figures. Every run is validated exactly, as
 * `pnpm challenge` does. Redis CPU per event is from /proc/<redis-pid>/stat (utime + stime).
 * Goal: Redis ≥ 0.5× the in-memory throughput.
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { type ChallengeReport, runChallenge } from '@1mrc/client';
import { createRedisStore } from '@1mrc/store-redis';
import { cpuSeconds, startRedis } from '@1mrc/testkit';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000000' },
    concurrency: { type: 'string', default: '1000' },
    fsync: { type: 'string', default: 'everysec' },
    shards: { type: 'string', default: '1' },
    'server-cpu': { type: 'string', default: '0' },
    'redis-cpu': { type: 'string', default: '1' },
  },
  strict: true,
});
const requests = Number(values.requests.replace(/[_,]/g, ''));
const concurrency = Number(values.concurrency);
const fsync = values.fsync;
if (fsync !== 'everysec' && fsync !== 'always')
  throw new TypeError(`--fsync takes everysec or always, got ${fsync}`);
const serverCpu = values['server-cpu'];
const redisCpu = values['redis-cpu'];

const redis = await startRedis({ appendfsync: fsync });
execFileSync('taskset', ['-cp', redisCpu, String(redis.pid)], { stdio: 'ignore' });
execFileSync('taskset', ['-cp', redisCpu, String(process.pid)], { stdio: 'ignore' });

const example = [process.execPath, '--conditions=source', '--import', 'tsx', 'examples/uws/src/main.ts'];
const command = (store: string): string[] => [
  'env',
  `STORE=${store}`,
  'taskset',
  '-c',
  serverCpu,
  ...example,
];

interface Row {
  readonly store: string;
  readonly report: ChallengeReport;
  readonly redisCpuUsPerEvent?: number;
}

const rows: Row[] = [];
let direct: { eventsPerSecond: number; redisCpuUsPerEvent: number } | undefined;
try {
  for (const store of ['memory', `${redis.url}?shards=${values.shards}`]) {
    const before = cpuSeconds(redis.pid);
    const report = await runChallenge({
      command: command(store),
      requests,
      concurrency,
      onStatus: (line) => console.error(`[${store}] ${line}`),
    });
    const after = cpuSeconds(redis.pid);
    rows.push({
      store: store === 'memory' ? 'memory' : `redis (AOF, appendfsync ${fsync})`,
      report,
      ...(store === 'memory' ? {} : { redisCpuUsPerEvent: ((after - before) * 1e6) / requests }),
    });
  }
  // The store alone, no HTTP: `concurrency` callers each recording one event after another,
  // so group commit coalesces what arrives while a call is in flight. This process is the
  // client (on the Redis CPU): a floor for what one Redis shard takes.
  const store = createRedisStore({ url: redis.url, prefix: 'direct:' });
  await store.ready();
  const before = cpuSeconds(redis.pid);
  const started = performance.now();
  const each = Math.ceil(requests / concurrency);
  await Promise.all(
    Array.from({ length: concurrency }, async (_, k) => {
      for (let i = 0; i < each; i++) await store.record(`u${(k * each + i) % 75_000}`, i % 1000);
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const after = cpuSeconds(redis.pid);
  direct = {
    eventsPerSecond: (each * concurrency) / elapsed,
    redisCpuUsPerEvent: ((after - before) * 1e6) / (each * concurrency),
  };
  await store.close();
} finally {
  await redis.stop();
}

const [memory, onRedis] = rows;
console.log(
  `\n${requests.toLocaleString('en')} events, ${concurrency} connections, uWS on CPU ${serverCpu}, ` +
    `redis-server and the client on CPU ${redisCpu}; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'})\n`,
);
console.log('| store | valid | events/s | p50 ms | p99 ms | server CPU s | Redis CPU µs/event |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
for (const { store, report, redisCpuUsPerEvent } of rows) {
  console.log(
    `| ${store} | ${report.ok ? 'yes' : `NO: ${report.problems.join('; ')}`} | ${Math.round(report.eventsPerSecond).toLocaleString('en')} | ` +
      `${(report.latencyUs.p50 / 1000).toFixed(2)} | ${(report.latencyUs.p99 / 1000).toFixed(2)} | ` +
      `${report.server?.cpuSeconds.toFixed(2) ?? '?'} | ${redisCpuUsPerEvent === undefined ? '-' : redisCpuUsPerEvent.toFixed(2)} |`,
  );
}
if (memory && onRedis) {
  const ratio = onRedis.report.eventsPerSecond / memory.report.eventsPerSecond;
  console.log(`\nRedis / memory throughput: ${ratio.toFixed(2)}× (goal ≥ 0.5×)`);
}
if (direct) {
  console.log(
    `store alone (no HTTP, ${concurrency} concurrent callers, 1 shard): ${Math.round(direct.eventsPerSecond).toLocaleString('en')} events/s, ` +
      `Redis CPU ${direct.redisCpuUsPerEvent.toFixed(2)} µs/event (one Redis core: ≈ ${Math.round(1e6 / direct.redisCpuUsPerEvent).toLocaleString('en')} events/s)`,
  );
}
process.exit(rows.every((row) => row.report.ok) ? 0 : 1);
