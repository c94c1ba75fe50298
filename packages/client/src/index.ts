export {
  type ChallengeOptions,
  type ChallengeReport,
  type LatencySummary,
  readStats,
  runChallenge,
} from './challenge.js';
export { DEFAULT_ENGINE, ENGINES, type EngineName } from './engines.js';
export { type Dyadic, fromDouble, nearestDouble, roundingInterval } from './exact.js';
export {
  type Expected,
  expectedFor,
  expectedSnapshot,
  FIELDS,
  type Field,
  type FieldCheck,
  type Validation,
  validate,
} from './expected.js';
export { buildBodies, createPattern, type EventPattern, PATTERNS, type PatternName } from './pattern.js';
export { formatReport, formatTable, renderSvg, writeReports } from './report.js';
export { ADAPTERS, type AdapterName, exampleCommand, startServerProcess } from './server-process.js';
