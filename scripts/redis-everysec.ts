/**
 * What `appendfsync everysec` risks, measured:
 *
 *   node --conditions=source --import tsx scripts/redis-everysec.ts [--seconds 6] [--loops 32]
 *
 * 1. Under load (uWS example on STORE=redis://…, `loops` clients posting events), strace
 *    records every fdatasync/fsync redis-server makes: the gaps between them are the window
 *    of acknowledged writes that only the OS page cache holds (lost on a kernel crash or power
 *    loss, which a test cannot cause).
 * 2. Then kill -9 of redis-server and a restart on the same directory: a process kill does not
 *    lose the page cache, so the acknowledged events still there are counted (expect all).
 *
 * Needs strace (`apt-get install strace`) and ptrace rights over the redis-server process.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exampleCommand, startRedis, startServerProcess } from '@1mrc/testkit';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '6' }, loops: { type: 'string', default: '32' } },
  strict: true,
});
const seconds = Number(values.seconds);
const loops = Number(values.loops);

const redis = await startRedis({ appendfsync: 'everysec' });
const server = await startServerProcess(exampleCommand('uws'), { env: { STORE: redis.url } });
const traceFile = join(tmpdir(), `1mrc-everysec-${process.pid}.strace`);
const strace = spawn(
  'strace',
  ['-f', '-ttt', '-e', 'trace=fdatasync,fsync', '-o', traceFile, '-p', String(redis.pid)],
  {
    stdio: 'ignore',
  },
);
await new Promise((resolve) => setTimeout(resolve, 500));

let acked = 0;
let running = true;
const post = async (id: string): Promise<void> => {
  const response = await fetch(`${server.url}/event`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: id, value: 1 }),
  });
  await response.text();
  if (response.status === 200) acked++;
};
const traffic = Promise.all(
  Array.from({ length: loops }, async (_, k) => {
    for (let i = 0; running; i++) await post(`e${k}-${i}`).catch(() => {});
  }),
);
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
strace.kill('SIGINT');
await new Promise((resolve) => strace.once('exit', resolve));
const ackedAtKill = acked;
await redis.kill();
running = false;
await traffic;
await redis.restart();
// The server reconnects by itself; its /stats then holds what the AOF kept.
let stored = -1;
for (let i = 0; i < 200 && stored < 0; i++) {
  const answer = await fetch(`${server.url}/stats`);
  if (answer.status === 200) stored = ((await answer.json()) as { totalRequests: number }).totalRequests;
  else await new Promise((resolve) => setTimeout(resolve, 50));
}
await server.stop();
await redis.stop();

const syncs = readFileSync(traceFile, 'utf8')
  .split('\n')
  .filter((line) => /f(data)?sync\(/.test(line) && !line.includes('resumed>'))
  .map((line) => Number(line.split(/\s+/)[1]));
const gaps = syncs.slice(1).map((t, i) => t - syncs[i]!);
gaps.sort((a, b) => a - b);
const median = gaps[Math.floor(gaps.length / 2)] ?? Number.NaN;
const max = gaps.at(-1) ?? Number.NaN;
console.log(
  `load: ${loops} clients for ${seconds} s, ${acked} events acknowledged (${Math.round(acked / seconds)}/s)`,
);
console.log(
  `fsyncs: ${syncs.length}; gap between them: median ${median.toFixed(3)} s, max ${max.toFixed(3)} s`,
);
console.log(
  `kill -9 of redis-server: ${ackedAtKill} acknowledged before the kill, ${stored} stored after the restart ` +
    `(${Math.max(0, ackedAtKill - stored)} lost)`,
);
process.exit(0);
