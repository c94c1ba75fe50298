/** What the runs add up to: medians over rounds, adapter-over-baseline ratios, worker scaling. */
import type { Run } from './measure.js';
import { ADAPTER_GOAL, SATURATED_PERCENT, SCALING_GOAL, type Target, UWS_OVER_NODE_GOAL } from './targets.js';

export /** Each figure the median of its rounds, so one stall on a busy machine does not decide. */
function medians(rounds: readonly (readonly Run[])[]): Run[] {
  const all = rounds.flat();
  const alike = (a: Run, b: Run): boolean =>
    a.target === b.target && a.connections === b.connections && a.workers === b.workers;
  const firsts = all.filter((run, index) => all.findIndex((o) => alike(o, run)) === index);
  return firsts.map((run) => {
    const same = all.filter((other) => alike(other, run));
    const median = (figure: (run: Run) => number): number => {
      const sorted = same.map(figure).sort((a, b) => a - b);
      return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
    };
    return {
      ...run,
      requestsPerSecond: median((r) => r.requestsPerSecond),
      p50Ms: median((r) => r.p50Ms),
      p99Ms: median((r) => r.p99Ms),
      serverCpuUsPerRequest: median((r) => r.serverCpuUsPerRequest),
      serverCpuPercent: median((r) => r.serverCpuPercent),
      clientCpuPercent: median((r) => r.clientCpuPercent),
      rssMb: median((r) => r.rssMb),
      peakRssMb: median((r) => r.peakRssMb),
      counted: median((r) => r.counted),
      problems: same.flatMap((r) => r.problems),
    };
  });
}

export interface Ratio {
  readonly connections: number;
  readonly name: string;
  /** Requests per second, numerator over denominator. */
  readonly throughput: number;
  /** Server CPU per request, denominator over numerator: above 1 means the numerator is cheaper. */
  readonly efficiency: number;
  readonly goal: number;
  /**
   * Judged on req/s when both servers had their CPU to themselves; when either was held back
   * (by other load on its CPU), req/s measures the machine, so it is judged on CPU per request.
   */
  readonly judgedOn: 'req/s' | 'CPU/req';
  readonly met: boolean;
}

export function ratios(runs: readonly Run[], targets: readonly Target[]): Ratio[] {
  const result: Ratio[] = [];
  const find = (name: string, connections: number, workers = 1): Run | undefined =>
    runs.find(
      (run) =>
        run.target === name &&
        run.connections === connections &&
        run.workers === workers &&
        run.problems.length === 0,
    );
  const pair = (top: Run | undefined, bottom: Run | undefined, name: string, goal: number): void => {
    if (!top || !bottom) return;
    const throughput = top.requestsPerSecond / bottom.requestsPerSecond;
    const efficiency = bottom.serverCpuUsPerRequest / top.serverCpuUsPerRequest;
    const saturated = Math.min(top.serverCpuPercent, bottom.serverCpuPercent) >= SATURATED_PERCENT;
    const judgedOn = saturated ? 'req/s' : 'CPU/req';
    const met = (saturated ? throughput : efficiency) >= goal;
    result.push({ connections: top.connections, name, throughput, efficiency, goal, judgedOn, met });
  };
  for (const connections of new Set(runs.map((run) => run.connections))) {
    for (const target of targets) {
      if (target.baseline === undefined) continue;
      const name = `${target.name} / ${target.baseline}`;
      pair(find(target.name, connections), find(target.baseline, connections), name, ADAPTER_GOAL.min);
    }
    pair(find('uws', connections), find('node', connections), 'uws / node', UWS_OVER_NODE_GOAL);
  }
  return result;
}

/** N workers against 1, same adapter and connections: what the extra cores buy, and cost. */
export interface Scaling {
  readonly name: string;
  readonly connections: number;
  readonly workers: number;
  /** Requests per second, N workers over 1. */
  readonly throughput: number;
  /** Server CPU per request, N workers over 1: the cost of sharding (the goal is ≤ 1.15). */
  readonly cpuPerRequest: number;
  readonly met: boolean;
}

export function scaling(runs: readonly Run[]): Scaling[] {
  const result: Scaling[] = [];
  const clean = runs.filter((run) => run.problems.length === 0);
  for (const run of clean) {
    if (run.workers === 1) continue;
    const one = clean.find(
      (o) => o.target === run.target && o.connections === run.connections && o.workers === 1,
    );
    if (!one) continue;
    const throughput = run.requestsPerSecond / one.requestsPerSecond;
    const cpuPerRequest = run.serverCpuUsPerRequest / one.serverCpuUsPerRequest;
    const met = throughput >= SCALING_GOAL.throughput && cpuPerRequest <= SCALING_GOAL.cpuPerRequest;
    result.push({
      name: run.target,
      connections: run.connections,
      workers: run.workers,
      throughput,
      cpuPerRequest,
      met,
    });
  }
  return result;
}
