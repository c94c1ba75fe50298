/**
 * `@1mrc/testkit`: what the tests, benchmarks and scripts of this repository share, each once.
 * Private: never published, imported by package name only (vitest aliases it to these sources).
 */
export {
  ADAPTER_NAMES,
  ADAPTERS,
  type AdapterName,
  behaviourGaps,
  CONFORMANCE_DIFFERENCES,
  conformanceDifference,
  exampleEntry,
  isAdapterName,
  selectAdapters,
} from './adapters.js';
export { type AdapterUnderTest, type BehaviourOptions, describeAdapterBehaviour } from './behaviour.js';
export { type Child, type HeapMemory, type ServerChild, startChild, startServerChild } from './child.js';
export { fcParams } from './fc.js';
export * from './http.js';
export {
  cpuSeconds,
  type Memory,
  memory,
  openFileLimit,
  processTree,
  treeCpuSeconds,
  treeMemory,
} from './proc.js';
export {
  type CapturedChild,
  exampleCommand,
  type Finished,
  freePort,
  getText,
  REPO_ROOT,
  runFromSource,
  type ServerProcess,
  type StartOptions,
  spawnCaptured,
  startServerProcess,
} from './process.js';
export {
  INSTALL_HINT as REDIS_INSTALL_HINT,
  type RedisClusterProcess,
  type RedisProcess,
  type RedisProcessOptions,
  redisAvailable,
  skipWithoutRedis,
  startRedis,
  startRedisCluster,
} from './redis.js';
export { type RedisForFile, type RedisTargetOptions, redisForFile } from './redis-file.js';
export {
  contractReply,
  type ExpectedReply,
  INTERNAL_ERROR,
  LENGTH_REQUIRED,
  REFERENCE_RESET_TOKEN,
  TOO_LARGE,
} from './reference.js';
export {
  delayedStore,
  failingFirst,
  failingStore,
  type GatedStore,
  gatedStore,
  STORE_SECRET,
} from './stores.js';
export { testAdapters } from './test-adapters.js';
export { skipsUws, uwsSkipReason } from './uws-availability.js';
export { describeUws, itUws } from './uws-suite.js';
