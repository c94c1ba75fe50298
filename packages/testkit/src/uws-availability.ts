/**
 * Whether the uWS tests can run here: the one predicate every test that starts uWebSockets.js
 * shares. Where no native binary loads (Node 22 and 24 with the workspace's build, which ships
 * binaries up to Node 20), they are skipped with one line saying why and how to fix it.
 *
 * Under `CI=true` a missing uWS fails instead, unless `ONEMRC_UWS_OPTIONAL=1` says this run
 * knows it has none (`.ci/run` sets it for its Node 22 and 24 runs only).
 *
 * Checking loads the uWS binary, which costs a process memory. So it is done on first use only,
 * and the answer is handed down in the environment: a server child that imports a test helper
 * (and never serves uWS) does not load uWS to find out, and its memory figures stay its own.
 * No vitest here either, for the same reason: `describeUws` and `itUws` are in ./uws-suite.ts.
 */
import { uwsAvailability } from '@1mrc/adapter-uws';

const INHERITED = 'ONEMRC_UWS_SKIP_REASON';

let checked: { reason: string | undefined } | undefined;

/** Undefined when uWS loads; otherwise the reason and the fix, in one line. */
export function uwsSkipReason(): string | undefined {
  if (checked !== undefined) return checked.reason;
  const inherited = process.env[INHERITED];
  if (inherited !== undefined) {
    checked = { reason: inherited === '' ? undefined : inherited };
    return checked.reason;
  }
  const availability = uwsAvailability();
  const reason = availability.ok ? undefined : `${availability.reason}; fix: ${availability.fix}`;
  checked = { reason };
  process.env[INHERITED] = reason ?? '';
  if (reason !== undefined) {
    if (process.env['CI'] === 'true' && process.env['ONEMRC_UWS_OPTIONAL'] !== '1') {
      throw new Error(`uWS tests cannot run under CI=true: ${reason}`);
    }
    console.warn(`skipping the uWS tests: ${reason}`);
  }
  return reason;
}

/** True for the uws adapter when its tests are skipped here. */
export function skipsUws(adapter: string): boolean {
  return adapter === 'uws' && uwsSkipReason() !== undefined;
}
