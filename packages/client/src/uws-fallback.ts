/**
 * Where no native uWebSockets.js loads for this Node.js, the challenge says so in one line with
 * the fix and runs on the node adapter instead: announced, never silent. The check runs here,
 * in the parent, because the example is started with this same Node.js (`process.execPath`).
 */
import type { AdapterName } from './server-process.js';

type Target = AdapterName | { url: string };

/**
 * The targets to run. `uws` is replaced by `node` when it was the default target, dropped from
 * `--adapter all`, and refused (with the reason) when asked for by name.
 */
export async function withUwsFallback(
  targets: readonly Target[],
  how: 'default' | 'all' | 'named',
  say: (line: string) => void,
): Promise<readonly Target[]> {
  if (!targets.includes('uws')) return targets;
  const unavailable = await uwsUnavailable();
  if (unavailable === undefined) return targets;
  if (how === 'named') throw new Error(`${unavailable}, or use --adapter node`);
  const instead = how === 'default' ? 'running on the node adapter instead' : 'skipping uws';
  say(`uws: ${unavailable}, or use --adapter node; ${instead}`);
  return how === 'default'
    ? targets.map((t) => (t === 'uws' ? 'node' : t))
    : targets.filter((t) => t !== 'uws');
}

/** One line, reason and fix, or undefined when uWS loads. */
async function uwsUnavailable(): Promise<string | undefined> {
  let availability: typeof import('@1mrc/adapter-uws')['uwsAvailability'];
  try {
    ({ uwsAvailability: availability } = await import('@1mrc/adapter-uws'));
  } catch {
    return 'cannot load @1mrc/adapter-uws; fix: install it with uWebSockets.js';
  }
  const result = availability();
  return result.ok ? undefined : `${result.reason}; fix: ${result.fix}`;
}
