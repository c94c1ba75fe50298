/**
 * Whether the uWS tests can run here: the one predicate every test that starts uWebSockets.js
 * shares. Where no native binary loads (Node 22 and 24 with the workspace's build, which ships
 * binaries up to Node 20), they are skipped with one line saying why and how to fix it.
 *
 * Under `CI=true` a missing uWS fails instead, unless `ONEMRC_UWS_OPTIONAL=1` says this run
 * knows it has none (`.ci/run` sets it for its Node 22 and 24 runs only).
 */
import { uwsAvailability } from '@1mrc/adapter-uws';
import { describe, it } from 'vitest';

const availability = uwsAvailability();

/** Undefined when uWS loads; otherwise the reason and the fix, in one line. */
export const uwsSkipReason: string | undefined = availability.ok
  ? undefined
  : `${availability.reason}; fix: ${availability.fix}`;

if (uwsSkipReason !== undefined) {
  if (process.env['CI'] === 'true' && process.env['ONEMRC_UWS_OPTIONAL'] !== '1') {
    throw new Error(`uWS tests cannot run under CI=true: ${uwsSkipReason}`);
  }
  console.warn(`skipping the uWS tests: ${uwsSkipReason}`);
}

/** True for the uws adapter when its tests are skipped here. */
export function skipsUws(adapter: string): boolean {
  return adapter === 'uws' && uwsSkipReason !== undefined;
}

const note = (name: string): string => `${name} (skipped: ${uwsSkipReason})`;

/** `describe`, or `describe.skip` with the reason in its name when uWS does not load. */
export function describeUws(name: string, fn: () => void): void {
  if (uwsSkipReason === undefined) describe(name, fn);
  else describe.skip(note(name), fn);
}

/** `it`, or `it.skip` with the reason in its name when uWS does not load. */
export function itUws(name: string, fn: () => Promise<void> | void): void {
  if (uwsSkipReason === undefined) it(name, fn);
  else it.skip(note(name), fn);
}
