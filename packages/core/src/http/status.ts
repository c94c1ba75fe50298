import type { ErrorCode } from '../errors.js';

/**
 * The closed set of codes a client can see, and the one table from code to HTTP status. The
 * engine's codes (`ErrorCode` in `@1mrc/core`) are among them; the rest are HTTP's own.
 * Nothing else picks a status for an error.
 */
export const HTTP_STATUS = {
  INVALID_JSON: 400,
  INVALID_EVENT: 400,
  INVALID_BATCH: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  LENGTH_REQUIRED: 411,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  TOO_MANY_USERS: 507,
} as const satisfies Record<ErrorCode | (string & {}), number>;

/** Every code an answer's `error.code` can hold. */
export type ContractErrorCode = keyof typeof HTTP_STATUS;

/** The `error` of an answer's body: JSON-safe as it is. */
export interface ContractError {
  readonly code: ContractErrorCode;
  readonly message: string;
  /** For a batch: the index of the first bad event. */
  readonly index?: number;
}

export function isContractErrorCode(code: unknown): code is ContractErrorCode {
  return typeof code === 'string' && Object.hasOwn(HTTP_STATUS, code);
}
