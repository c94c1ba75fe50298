/**
 * `@1mrc/core/http`: the HTTP contract every adapter serves (docs/http-api.md), and the table
 * from error code to HTTP status.
 */
export { constantTimeEqual } from './constant-time.js';
export { errorReply, headReply, statsReply } from './replies.js';
export { CONTRACT_PATHS, createContract } from './routes.js';
export {
  type ContractError,
  type ContractErrorCode,
  HTTP_STATUS,
  isContractErrorCode,
} from './status.js';
export type { Contract, ContractOptions, ErrorContext, Reply, RequestHead, Route } from './types.js';
