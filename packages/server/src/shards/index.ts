/**
 * One engine split over several workers, exact and read-your-writes. Transport-neutral: a
 * `ShardPort` is any ordered message link (a worker_threads `MessagePort`, cluster IPC, a test's
 * `MessageChannel`); `@1mrc/server/workers` wires these over Node's threads and processes.
 *
 * Each worker records into its own `createStats()` shard: the hot path stays local and
 * synchronous. `/stats` is the only cross-worker path. The worker asks the primary (the
 * aggregator); the primary asks every worker to `collect`: hand over its shard's state since
 * the last collect (a delta) and start afresh. The primary merges every delta into one master
 * `Stats` (`mergeState` is exact: integer counts, a set union of users, an exact sum) and answers.
 *
 * Read-your-writes, the argument. A worker answers 200 for an event only after recording it in
 * its shard. Say a client got that 200 and then sends `GET /stats` to any worker, which asks
 * the primary. A gather round serves only requests that reached the primary before the round
 * began, so the round's `collect` to the event's worker is sent after the event was recorded;
 * messages on a port arrive in order, so that worker exports a delta holding the event, unless
 * an earlier delta (or its final one) already held it. Rounds run one at a time and every delta
 * is merged the moment it arrives, so earlier deltas are in the master before this round ends.
 * Either way the snapshot includes the event. Concurrent requests share one round (coalescing),
 * but a request that arrives while a round is in flight waits for the next one: the round in
 * flight may have collected from a worker before the request's events were recorded.
 *
 * A delta is never dropped: every one is merged whichever round it answers. A worker that dies
 * before handing over its final delta takes acknowledged counts with it, so the aggregator fails
 * loudly (`onFatal`) instead of answering with less than it acknowledged.
 */

export {
  type Aggregator,
  type AggregatorOptions,
  createAggregator,
  type MergedStore,
} from './primary.js';
export {
  errorMessage,
  type PrimaryMessage,
  type PrimaryPort,
  type ShardMessage,
  type ShardOptions,
  type ShardPort,
  type SharedStoreSpec,
  sharedStoreSpec,
  type WorkerPort,
} from './protocol.js';
export {
  createShardStore,
  type RunningShard,
  type ShardServe,
  type ShardStore,
  serveShard,
} from './worker.js';
