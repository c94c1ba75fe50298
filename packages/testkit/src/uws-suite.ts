/** `describe` and `it` for uWS tests: skipped, with the reason in their names, where uWS does not load. */
import { describe, it } from 'vitest';
import { uwsSkipReason } from './uws-availability.js';

const note = (name: string): string => `${name} (skipped: ${uwsSkipReason()})`;

/** `describe`, or `describe.skip` with the reason in its name when uWS does not load. */
export function describeUws(name: string, fn: () => void): void {
  if (uwsSkipReason() === undefined) describe(name, fn);
  else describe.skip(note(name), fn);
}

/** `it`, or `it.skip` with the reason in its name when uWS does not load. */
export function itUws(name: string, fn: () => Promise<void> | void): void {
  if (uwsSkipReason() === undefined) it(name, fn);
  else it.skip(note(name), fn);
}
