import type fc from 'fast-check';

/**
 * fast-check parameters for every property test of the repository, tunable from the environment:
 * - FC_NUM_RUNS=2000 sets every property's run count (the defaults keep CI fast);
 * - FC_SEED=<seed> FC_PATH=<path> replays a failure: fast-check prints both in the error,
 *   e.g. `FC_SEED=-1819918769 FC_PATH="12:3:0" pnpm vitest run packages/core/test -t "permutation"`.
 * `scale` multiplies the run count (for a property whose runs cost more than the others').
 */
export function fcParams<T>(numRuns: number, scale = 1): fc.Parameters<T> {
  const { FC_SEED: seed, FC_PATH: path, FC_NUM_RUNS: runs } = process.env;
  const base = runs === undefined ? numRuns : Number(runs);
  if (!Number.isSafeInteger(base) || base < 1) {
    throw new TypeError(`Expected FC_NUM_RUNS to be a positive integer, got ${JSON.stringify(runs)}`);
  }
  return {
    numRuns: Math.max(1, Math.round(base * scale)),
    ...(seed === undefined ? {} : { seed: Number(seed) }),
    ...(path === undefined ? {} : { path }),
  };
}
