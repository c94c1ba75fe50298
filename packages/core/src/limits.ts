/**
 * Every limit, with its one name and its default. The engine, the parser, the HTTP contract and
 * every adapter's `serve` take these names; docs/http-api.md lists them.
 */
export const DEFAULT_LIMITS = {
  /** Largest `POST /event` (and `POST /reset`) body, in bytes. */
  maxEventBytes: 4 * 1024,
  /** Largest `POST /events` body, in bytes. */
  maxBatchBytes: 1024 * 1024,
  /** Most events in one `POST /events`. */
  maxBatchEvents: 10_000,
  /** Longest `userId`, in UTF-8 bytes. */
  maxUserIdBytes: 256,
} as const;

/**
 * The one check of a count option, in every 1mrc package (limits, users, runs, requests): its
 * default when unset, else a positive safe integer or a `TypeError` quoting the value (so `NaN`
 * or `Infinity` never switches a limit off). Without a default, the option is required.
 */
export function positiveInteger(name: string, value: number | undefined, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (value === undefined || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`Expected ${name} to be a positive integer, got ${String(value)}`);
  }
  return value;
}
