/** The tables `pnpm bench:http` prints. */
import type { RssRun, Run } from './measure.js';
import type { Ratio, Scaling } from './results.js';
import { SATURATED_PERCENT, SCALING_GOAL } from './targets.js';

export function printScaling(list: readonly Scaling[]): void {
  if (list.length === 0) return;
  const rows = list.map((s) => [
    `${s.name} ×${s.workers} / ×1`,
    String(s.connections),
    `${fixed(s.throughput, 2)}×`,
    `${fixed(s.cpuPerRequest, 2)}×`,
    s.met ? 'met' : 'NOT met',
  ]);
  const goal = `goals: req/s ≥ ${fixed(SCALING_GOAL.throughput, 2)}×, CPU/req ≤ ${fixed(SCALING_GOAL.cpuPerRequest, 2)}×`;
  console.log('');
  console.log(table(['workers', 'conns', 'req/s', 'CPU µs/req', goal], rows));
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export const fixed = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function printRuns(runs: readonly Run[], ratioList: readonly Ratio[]): void {
  const rows = runs.map((run) => [
    run.target,
    String(run.connections),
    String(run.workers),
    fixed(run.requestsPerSecond),
    fixed(run.p99Ms, 2),
    fixed(run.serverCpuUsPerRequest, 1),
    fixed(run.serverCpuPercent),
    fixed(run.clientCpuPercent),
    `${fixed(run.rssMb, 1)} / ${fixed(run.peakRssMb, 1)}`,
    run.problems.length === 0 ? `ok (${fixed(run.counted)})` : run.problems.join('; '),
  ]);
  const header = ['target', 'conns', 'workers', 'req/s', 'p99 ms', 'CPU µs/req', 'server CPU %'];
  console.log(table([...header, 'client CPU %', 'RSS / peak MB', 'check (events counted)'], rows));
  console.log('');
  const ratioRows = ratioList.map((ratio) => [
    ratio.name,
    String(ratio.connections),
    `${fixed(ratio.throughput, 2)}×`,
    `${fixed(ratio.efficiency, 2)}×`,
    `≥ ${fixed(ratio.goal, 1)}×`,
    `${ratio.met ? 'met' : 'NOT met'} (on ${ratio.judgedOn})`,
  ]);
  console.log(table(['ratio', 'conns', 'req/s', 'CPU/req (inverse)', 'goal', ''], ratioRows));
  const starved = runs.filter((run) => run.serverCpuPercent < SATURATED_PERCENT).map((run) => run.target);
  if (starved.length > 0) {
    console.log(
      `\nNot saturated (server CPU < ${SATURATED_PERCENT} %): ${[...new Set(starved)].join(', ')}. ` +
        'Their req/s says more about what else ran on the machine than about the servers, so ' +
        'their ratios are judged on CPU µs/req.',
    );
  }
  for (const run of runs) {
    if (!run.hotSpots) continue;
    console.log(`\nCPU profile of ${run.target} at ${run.connections} connections (self time):`);
    for (const spot of run.hotSpots) console.log(`  ${fixed(spot.percent, 1).padStart(5)}%  ${spot.name}`);
  }
}

export function printRss(runs: readonly RssRun[]): void {
  const rows = runs.map((run) => {
    const goal = run.goalMb === undefined ? '' : `≤ ${run.goalMb}`;
    const verdict = run.goalMb === undefined ? '' : run.rssMb <= run.goalMb ? 'met' : 'NOT met';
    const check = run.problems.length === 0 ? 'ok' : run.problems.join('; ');
    const load = [fixed(run.seconds, 1), fixed(run.requestsPerSecond), fixed(run.serverCpuUsPerRequest, 1)];
    const client = fixed(run.clientCpuPercent);
    const memory = [fixed(run.rssMb, 1), fixed(run.peakRssMb, 1), goal, verdict, check];
    return [run.target, run.client, fixed(run.requests), ...load, client, ...memory];
  });
  const header = ['target', 'client', 'events', 'seconds', 'req/s', 'CPU µs/req', 'client CPU %'];
  console.log(table([...header, 'RSS MB after', 'peak MB', 'goal MB', '', 'check'], rows));
}
