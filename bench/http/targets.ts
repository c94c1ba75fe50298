/**
 * What `pnpm bench:http` measures: each adapter of the registry, next to a bare server on the same
 * framework (`bench/baselines/<adapter>.ts`) where there is one, and the goals it is held to.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ADAPTER_NAMES, type AdapterName, exampleEntry } from '@1mrc/testkit';

export interface Target {
  readonly name: string;
  readonly entry: string;
  /** An adapter's bare counterpart; baselines have none. */
  readonly baseline?: string;
  /** The adapter's goal for RSS after a 1M-event run, in MB. */
  readonly rssGoalMb?: number;
}

/** RSS after 1M events, per adapter (docs/benchmarks.md); an adapter without one has no RSS goal. */
const RSS_GOAL_MB: Partial<Record<AdapterName, number>> = { node: 110, fastify: 110, uws: 70 };

/** An adapter's throughput over its bare framework's: at least `min`, ideally `aim`. */
export const ADAPTER_GOAL = { min: 0.9, aim: 1.0 };
export const UWS_OVER_NODE_GOAL = 1.8;
/** N workers over 1: req/s at least, CPU per request at most. */
export const SCALING_GOAL = { throughput: 1.0, cpuPerRequest: 1.15 };
/** Below this much of its CPU, a server was held back by something else (the client, other load). */
export const SATURATED_PERCENT = 90;

/** Pairs next to each other, so a change in machine load hits both sides of a ratio alike. */
export function benchTargets(root: string): Target[] {
  return ADAPTER_NAMES.flatMap((name): Target[] => {
    const bare = `bench/baselines/${name}.ts`;
    const goal = RSS_GOAL_MB[name];
    const adapter: Target = {
      name,
      entry: exampleEntry(name),
      ...(goal === undefined ? {} : { rssGoalMb: goal }),
    };
    if (!existsSync(join(root, bare))) return [adapter];
    return [
      { name: `${name}-bare`, entry: bare },
      { ...adapter, baseline: `${name}-bare` },
    ];
  });
}
