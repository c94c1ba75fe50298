/**
 * HTTP benchmark: each adapter's example server against a bare server on the same framework,
 * the server pinned to one CPU and wrk to another, so the figures are the server's own cost.
 *
 *   pnpm bench:http [--only node,uws-bare] [--duration 10s] [--connections 100,1000]
 *                   [--threads 1] [--warmup 2s] [--rounds 1] [--json] [--cpu-prof] [--workers 1,2]
 *   pnpm bench:http --rss-1m [--requests 1000000] [--client wrk,go] [--goroutines 1000]
 *     RSS after exactly that many events, from wrk and/or bench/go-client (the official
 *     challenge client's methodology: 1,000 goroutines on a keep-alive http.Client).
 *
 * `--workers 1,2` runs each adapter with WORKERS=1, then WORKERS=2 (baselines stay at 1), and
 * compares them: CPU is then the whole process tree's (cluster workers are child processes), and
 * a server on N > 1 workers gets N CPUs, the client's own CPU included if there are not enough.
 * With a bundle, worker threads and processes run the sources through tsx (see @1mrc/server/workers).
 *
 * Servers run as esbuild bundles on bare node (`--tsx` runs the sources through tsx instead,
 * which adds about 40 MB of RSS). `--cpu-prof` prints each server's hottest functions.
 *
 * Needs Linux (taskset, /proc), two or more CPUs, and wrk (`apt-get install -y wrk`).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGoClient } from './http/go-client.js';
import { measure, measureRss, type Place, type RssRun, type Run } from './http/measure.js';
import { parseOptions } from './http/options.js';
import { fixed, printRss, printRuns, printScaling } from './http/print.js';
import { medians, ratios, scaling } from './http/results.js';
import { benchTargets } from './http/targets.js';
import { hasWrk } from './http/wrk.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const TARGETS = benchTargets(ROOT);

const bundles = mkdtempSync(join(tmpdir(), '1mrc-bench-'));
process.on('exit', () => rmSync(bundles, { recursive: true, force: true }));
const PLACE: Place = { root: ROOT, script: join(ROOT, 'bench/wrk/event.lua'), bundles };

interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly node: string;
  /** One-minute load average: how busy the machine was, other work included. */
  readonly loadAverage: string;
}

function machine(): Machine {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverage: loadavg()[0]?.toFixed(2) ?? '',
  };
}

async function main(): Promise<void> {
  if (!hasWrk()) {
    console.error(
      'wrk is not installed. On Debian/Ubuntu: apt-get install -y wrk (macOS: brew install wrk).',
    );
    process.exit(1);
  }
  if (availableParallelism() < 2) {
    console.error('bench:http pins the server and wrk to different CPUs and needs at least two.');
    process.exit(1);
  }
  const options = parseOptions(process.argv.slice(2), TARGETS);
  const log = (line: string): void => {
    if (!options.json) console.log(line);
    else console.error(line);
  };
  const present = options.targets.filter((target) => {
    if (existsSync(join(ROOT, target.entry))) return true;
    log(`skipping ${target.name}: ${target.entry} does not exist yet`);
    return false;
  });
  const before = machine();
  log(
    `machine: ${JSON.stringify(before)}; server on CPU ${options.serverCpu}, client on CPU ${options.clientCpu}`,
  );

  if (options.rss1m) {
    const goClient = options.clients.includes('go') ? buildGoClient(ROOT, bundles) : undefined;
    const runs: RssRun[] = [];
    for (const target of present) {
      for (const client of options.clients) {
        log(`${target.name}: ${fixed(options.requests)} events from ${client}...`);
        runs.push(await measureRss(target, client, options, goClient, PLACE));
      }
    }
    if (options.json) console.log(JSON.stringify({ machine: before, rss: runs }, null, 2));
    else printRss(runs);
    return;
  }

  const rounds: Run[][] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const runs: Run[] = [];
    for (const connections of options.connections) {
      for (const target of present) {
        // Baselines are single-threaded servers; WORKERS means nothing to them.
        for (const workers of target.baseline === undefined ? [1] : options.workers) {
          const of = options.rounds > 1 ? ` (round ${round} of ${options.rounds})` : '';
          const on = workers > 1 ? `, ${workers} workers` : '';
          log(`${target.name}: ${connections} connections${on}, ${options.durationSeconds} s${of}...`);
          try {
            runs.push(await measure(target, connections, workers, options, PLACE));
          } catch (error) {
            // One failed run should not throw away the others; its ratios are simply missing.
            log(`${target.name} at ${connections} connections failed: ${(error as Error).message}`);
          }
        }
      }
    }
    rounds.push(runs);
  }
  const runs = rounds.length === 1 ? (rounds[0] ?? []) : medians(rounds);
  const ratioList = ratios(runs, TARGETS);
  const scalingList = scaling(runs);
  if (options.json) {
    const report = {
      machine: before,
      after: machine(),
      options,
      runs,
      ratios: ratioList,
      scaling: scalingList,
    };
    console.log(JSON.stringify(report, null, 2));
  } else {
    printRuns(runs, ratioList);
    printScaling(scalingList);
    log(`\nload average at the end: ${machine().loadAverage}`);
  }
}

// Ctrl-C or a kill still runs the 'exit' handlers that stop servers and wrk.
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
