/**
 * `record()` against the plain-Set engine it replaced, in instructions rather than seconds:
 * each engine records the challenge pattern (75,000 users, value i % 1000) in a child process
 * under valgrind's callgrind, which counts the instructions executed whatever else the machine
 * is doing. Each engine runs twice, with <small> and with <large> events, on the same data; the
 * difference of the two totals over <large> - <small> is one event's cost, with start-up, data
 * and warm-up cancelled out. A loop that only reads the data gives the harness's own share.
 * Instructions are not time (a cache miss costs more than an add), so this complements the
 * timed ratio of `pnpm bench`, which a shared machine swings by ±25 %. It does not repeat
 * exactly either: three runs on 2026-12-02 gave 1.05×, 0.85× and 0.62× (when V8 optimises
 * which function still moves the count), so read it as a bound, not a figure.
 *
 *   node --conditions=source --import tsx bench/record-instructions.ts [small=1000000] [large=3000000]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStats } from '@1mrc/core';
import { createPlainSetStats } from './plain-set-stats.js';

const N = 1_000_000;
const USERS = 75_000;
const ENGINES = ['loop', 'record', 'plain-Set'] as const;
type Engine = (typeof ENGINES)[number];

function child(engine: Engine, events: number): void {
  const ids = Array.from({ length: N }, (_, i) => `user_${i % USERS}`);
  const values = Array.from({ length: N }, (_, i) => i % 1000);
  const stats = engine === 'record' ? createStats() : createPlainSetStats();
  let sink = 0;
  for (let i = 0; i < events; i++) {
    const j = i % N;
    if (engine === 'loop') sink += (ids[j] as string).length + (values[j] as number);
    else stats.record(ids[j] as string, values[j] as number);
  }
  const total =
    engine === 'loop' ? events : 'snapshot' in stats ? stats.snapshot().totalRequests : stats.totalRequests;
  if (total !== events) throw new Error(`${engine}: ${total} events recorded, expected ${events}`);
  process.stdout.write(`${sink}\n`);
}

/**
 * `--single-threaded`: V8 compiles and collects on the main thread. With its background threads,
 * when optimised code arrives depends on how valgrind schedules the threads, and two runs of one
 * engine differed by 2.5× per event.
 */
const childArgs = (engine: Engine, events: number): string[] => [
  '--single-threaded',
  ...process.execArgv,
  fileURLToPath(import.meta.url),
  '--child',
  engine,
  String(events),
];

function instructions(engine: Engine, events: number, dir: string): number {
  const out = join(dir, `${engine}.${events}.cg`);
  execFileSync(
    'valgrind',
    ['--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath, ...childArgs(engine, events)],
    {
      stdio: ['ignore', 'ignore', 'ignore'],
    },
  );
  const totals = /^totals: (\d+)/m.exec(readFileSync(out, 'utf8'));
  if (!totals) throw new Error(`no totals in ${out}`);
  return Number(totals[1]);
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  child(args[1] as Engine, Number(args[2]));
} else {
  const small = Number(args[0] ?? 1_000_000);
  const large = Number(args[1] ?? 3_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'record-instructions-'));
  // Once without valgrind first: the TypeScript loader then finds its cache filled, so every
  // measured start-up does the same work.
  execFileSync(process.execPath, childArgs('record', 1), { stdio: 'ignore' });
  try {
    const perEvent = new Map<Engine, number>();
    for (const engine of ENGINES) {
      const cost = (instructions(engine, large, dir) - instructions(engine, small, dir)) / (large - small);
      perEvent.set(engine, cost);
      console.log(`${engine}: ${cost.toFixed(1)} instructions per event`);
    }
    const loop = perEvent.get('loop') as number;
    const ratio =
      ((perEvent.get('record') as number) - loop) / ((perEvent.get('plain-Set') as number) - loop);
    console.log(
      `record() / plain-Set engine, challenge pattern, harness subtracted: ${ratio.toFixed(3)}× (target ≤ 1.1)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
