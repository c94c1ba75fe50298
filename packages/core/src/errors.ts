/**
 * The engine's error codes: what a store or the parser can say of an event. HTTP-only codes
 * (`NOT_FOUND`, `PAYLOAD_TOO_LARGE`, …) and the table from code to status live with the HTTP
 * contract (`@1mrc/core/http`).
 */
export const ERROR_CODES = [
  'INVALID_JSON',
  'INVALID_EVENT',
  'INVALID_BATCH',
  'TOO_MANY_USERS',
  'UNAVAILABLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The error an event, a batch or a request was rejected with. JSON-safe as it is. */
export interface EventError {
  readonly code: ErrorCode;
  readonly message: string;
  /** For a batch: the index of the first bad event. */
  readonly index?: number;
}

/** Thrown by `Stats.recordBatch` and the like; carries the same `{ code, message, index }`. */
export class StatsError extends Error implements EventError {
  readonly code: ErrorCode;
  readonly index?: number;

  constructor(error: EventError) {
    super(error.message);
    this.name = 'StatsError';
    this.code = error.code;
    if (error.index !== undefined) this.index = error.index;
  }
}

/**
 * Thrown (or rejected with) by a shared store that could not confirm a write or a read:
 * unreachable, down, too slow, or refusing writes. The contract answers 503 `UNAVAILABLE`
 * with `Retry-After`; the event was not acknowledged, so a client may send it again.
 */
export class StoreUnavailableError extends StatsError {
  /** What `Retry-After` says, in whole seconds. */
  readonly retryAfterSeconds: number;

  constructor(
    message: string,
    options: { readonly retryAfterSeconds?: number; readonly cause?: unknown } = {},
  ) {
    super({ code: 'UNAVAILABLE', message });
    this.name = 'StoreUnavailableError';
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: EventError };

/** The same error, said of the event at `index` in a batch. */
export function withIndex(error: EventError, index: number): EventError {
  return { code: error.code, message: `event ${index}: ${error.message}`, index };
}
