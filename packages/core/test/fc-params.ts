import type fc from 'fast-check';

/**
 * fast-check parameters for the core property tests, tunable from the environment:
 * - FC_NUM_RUNS=2000 raises every property's run count (the defaults keep CI fast);
 * - FC_SEED=<seed> FC_PATH=<path> replays a failure: fast-check prints both in the error,
 *   e.g. `FC_SEED=-1819918769 FC_PATH="12:3:0" pnpm vitest run packages/core/test -t "permutation"`.
 */
export function fcParams<T>(numRuns: number): fc.Parameters<T> {
  const { FC_SEED: seed, FC_PATH: path, FC_NUM_RUNS: runs } = process.env;
  return {
    numRuns: runs === undefined ? numRuns : Number(runs),
    ...(seed === undefined ? {} : { seed: Number(seed) }),
    ...(path === undefined ? {} : { path }),
  };
}
