export {
  type ChallengeOptions,
  type ChallengeReport,
  type LatencySummary,
  type OpenModelReport,
  readStats,
  runChallenge,
  summarize,
} from './challenge.js';
export { DEFAULT_ENGINE, ENGINES, type EngineName } from './engines.js';
export { roundingInterval } from './exact.js';
export {
  type Expected,
  expectedFor,
  expectedSnapshot,
  FIELDS,
  type Field,
  type FieldCheck,
  snapshotProblems,
  ulpsBetween,
  type Validation,
  validate,
} from './expected.js';
export { HARD_MAX_EVENTS, hardFloatShortfall, hardValues } from './hard-pattern.js';
export {
  buildBodies,
  createPattern,
  type EventPattern,
  PATTERNS,
  type PatternName,
  type PatternOptions,
} from './pattern.js';
export { planChallenge } from './plan.js';
export { formatReport, formatTable, renderSvg, writeReports } from './report.js';
export {
  type CapturedChild,
  freePort,
  type PortChoice,
  processUsage,
  type ServerUsage,
  type StartOptions,
  spawnCaptured,
  startServerProcess,
} from './server-process.js';
export { readEveryServer } from './stats.js';
