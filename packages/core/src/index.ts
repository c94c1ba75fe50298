export {
  ERROR_CODES,
  type ErrorCode,
  type EventError,
  type Result,
  StatsError,
  StoreUnavailableError,
} from './errors.js';
export { ExactSum, type ExactSumState } from './exact-sum.js';
export {
  assertEvent,
  type BatchOptions,
  DEFAULT_LIMITS,
  type ParseOptions,
  parseBatch,
  parseEvent,
  positiveInteger,
} from './parse-event.js';
export { createStats, type Stats, type StatsOptions, type StatsState } from './stats.js';
export type { Event, EventStore, Snapshot, StoreHealth } from './types.js';
