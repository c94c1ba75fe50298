/**
 * The closed set of error codes, and the one table that maps each to an HTTP status.
 * Every adapter answers errors through this table; nothing else picks a status for an error.
 */
export const HTTP_STATUS = {
  INVALID_JSON: 400,
  INVALID_EVENT: 400,
  INVALID_BATCH: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  /** The engine's `maxUsers` is reached and the event is a new user's (507 Insufficient Storage). */
  TOO_MANY_USERS: 507,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof HTTP_STATUS;

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
