/**
 * The primary side: the aggregator that starts every worker, gathers their deltas into one
 * master `Stats` for each read (one round at a time, coalescing the reads that wait), and fails
 * loudly when a worker is lost with counts it had acknowledged. The read-your-writes argument is
 * in ./index.ts.
 */
import { createStats, type EventStore, type Snapshot, type StatsState } from '@1mrc/core';
import {
  errorMessage,
  type MetricsReport,
  type PrimaryPort,
  type ShardMessage,
  type ShardOptions,
} from './protocol.js';

export interface AggregatorOptions {
  /**
   * How long a worker may take to answer a `collect`. A worker whose event loop is stuck that
   * long is taken as broken: the aggregator fails. Default 10 s.
   */
  readonly timeoutMs?: number;
  /** Called once, when a worker is lost or stops answering; pending requests are refused first. */
  readonly onFatal: (error: Error) => void;
  /**
   * The primary's own metrics, added to the workers' in every `/metrics` (its process's memory,
   * say). Default none.
   */
  readonly ownMetrics?: () => Promise<MetricsReport>;
}

/** The primary's store: every worker's counts, gathered on each read. */
export interface MergedStore extends EventStore {
  snapshot(): Promise<Snapshot>;
  reset(): Promise<void>;
}

export interface Aggregator {
  /**
   * The merged view of every worker: `snapshot` gathers every worker's delta first, `reset`
   * clears every shard and the master. `record` goes straight into the master.
   */
  readonly store: MergedStore;
  /**
   * Adds a worker; once it says hello, sends it `start`. Resolves with the port it listens on,
   * rejects with its error if it cannot start.
   */
  start(port: PrimaryPort, options: ShardOptions, name: string): Promise<number>;
  /** Asks every worker to drain; resolves once all their final deltas are merged. */
  close(): Promise<void>;
  /**
   * The transport saw this worker exit. Expected once it has handed over its final delta;
   * before that its counts are gone, and the aggregator fails.
   */
  exited(port: PrimaryPort, reason: string): void;
}

interface Worker {
  readonly port: PrimaryPort;
  readonly name: string;
  handedOver: boolean;
}

interface Waiter {
  readonly reset: boolean;
  resolve(snapshot: Snapshot): void;
  reject(error: Error): void;
}

/** One `/metrics` gather: every live worker's registry, summed once all have reported. */
interface MetricsRound {
  readonly pending: Set<Worker>;
  readonly reports: MetricsReport[];
  readonly timer: ReturnType<typeof setTimeout>;
  resolve(reports: MetricsReport[]): void;
  reject(error: Error): void;
}

interface Round {
  readonly id: number;
  readonly pending: Set<Worker>;
  readonly waiters: readonly Waiter[];
  readonly timer: ReturnType<typeof setTimeout>;
}

export function createAggregator(options: AggregatorOptions): Aggregator {
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(`Expected timeoutMs to be a positive number, got ${String(timeoutMs)}`);
  }
  const master = createStats();
  const workers = new Map<PrimaryPort, Worker>();
  const starting = new Set<(error: Error) => void>();
  let queued: Waiter[] = [];
  let round: Round | undefined;
  let rounds = 0;
  let failure: Error | undefined;
  let closing: Promise<void> | undefined;
  let onAllHandedOver: (() => void) | undefined;
  let onCloseFailed: ((error: Error) => void) | undefined;
  const metricsRounds = new Map<number, MetricsRound>();

  const fail = (error: Error): void => {
    if (failure) return;
    failure = error;
    if (round) clearTimeout(round.timer);
    for (const waiter of [...(round?.waiters ?? []), ...queued]) waiter.reject(error);
    round = undefined;
    queued = [];
    for (const reject of starting) reject(error);
    starting.clear();
    for (const metricsRound of metricsRounds.values()) {
      clearTimeout(metricsRound.timer);
      metricsRound.reject(error);
    }
    metricsRounds.clear();
    onCloseFailed?.(error);
    options.onFatal(error);
  };

  const live = (): Worker[] => [...workers.values()].filter((worker) => !worker.handedOver);

  const startRound = (): void => {
    const id = ++rounds;
    const pending = new Set(live());
    const timer = setTimeout(() => {
      const names = [...pending].map((worker) => worker.name).join(', ');
      fail(new Error(`${names} did not answer a collect within ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref?.();
    round = { id, pending, waiters: queued, timer };
    queued = [];
    for (const worker of pending) worker.port.postMessage({ kind: 'collect', round: id });
    finishRound();
  };

  const finishRound = (): void => {
    if (!round || round.pending.size > 0) return;
    const { waiters, timer } = round;
    clearTimeout(timer);
    round = undefined;
    const snapshot = master.snapshot();
    // Resets in the same round as snapshots are concurrent with them: either order is valid.
    if (waiters.some((waiter) => waiter.reset)) master.reset();
    for (const waiter of waiters) waiter.resolve(snapshot);
    if (queued.length > 0) startRound();
  };

  const gather = (reset: boolean): Promise<Snapshot> => {
    if (failure) return Promise.reject(failure);
    return new Promise((resolve, reject) => {
      queued.push({ reset, resolve, reject });
      if (!round) startRound();
    });
  };

  /** Unlike a stats round, nothing here must be exact at an instant: rounds may overlap. */
  const gatherMetrics = (): Promise<MetricsReport[]> =>
    new Promise((resolve, reject) => {
      const id = ++rounds;
      const pending = new Set(live());
      const timer = setTimeout(() => {
        const names = [...pending].map((worker) => worker.name).join(', ');
        fail(new Error(`${names} did not report metrics within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref?.();
      metricsRounds.set(id, { pending, reports: [], timer, resolve, reject });
      for (const worker of pending) worker.port.postMessage({ kind: 'report-metrics', round: id });
      finishMetricsRound(id);
    });

  const finishMetricsRound = (id: number): void => {
    const metricsRound = metricsRounds.get(id);
    if (!metricsRound || metricsRound.pending.size > 0) return;
    clearTimeout(metricsRound.timer);
    metricsRounds.delete(id);
    metricsRound.resolve(metricsRound.reports);
  };

  const exposition = async (): Promise<string> => {
    if (failure) throw failure;
    const [own, reports, { AggregatorRegistry }] = await Promise.all([
      options.ownMetrics?.() ?? [],
      gatherMetrics(),
      // Loaded at the first scrape, as on every server (metrics/server-metrics.ts).
      import('prom-client'),
    ]);
    // prom-client's cluster pattern: each metric is summed, or as its `aggregator` says.
    return AggregatorRegistry.aggregate([own, ...reports]).metrics();
  };

  const merge = (worker: Worker, state: StatsState): void => {
    try {
      master.mergeState(state);
    } catch (error) {
      fail(new Error(`${worker.name} handed over a state that cannot be merged: ${errorMessage(error)}`));
    }
  };

  const onMessage = (worker: Worker, message: ShardMessage): void => {
    if (failure) {
      if (message.kind === 'stats' || message.kind === 'reset' || message.kind === 'metrics') {
        worker.port.postMessage({ kind: 'refused', id: message.id, message: failure.message });
      }
      return;
    }
    switch (message.kind) {
      case 'stats':
      case 'reset': {
        const { id } = message;
        gather(message.kind === 'reset').then(
          (snapshot) => worker.port.postMessage({ kind: 'answer', id, snapshot }),
          (error: Error) => worker.port.postMessage({ kind: 'refused', id, message: error.message }),
        );
        break;
      }
      case 'delta':
        merge(worker, message.state);
        if (round?.id === message.round) round.pending.delete(worker);
        finishRound();
        break;
      case 'metrics': {
        const { id } = message;
        exposition().then(
          (text) => worker.port.postMessage({ kind: 'metrics-answer', id, text }),
          (error: unknown) => worker.port.postMessage({ kind: 'refused', id, message: errorMessage(error) }),
        );
        break;
      }
      case 'metrics-report': {
        const metricsRound = metricsRounds.get(message.round);
        if (metricsRound?.pending.delete(worker)) metricsRound.reports.push(message.metrics);
        finishMetricsRound(message.round);
        break;
      }
      case 'crashed':
        fail(new Error(`${worker.name} crashed (${message.message}): its acknowledged events are lost`));
        break;
      case 'final':
        merge(worker, message.state);
        worker.handedOver = true;
        round?.pending.delete(worker);
        finishRound();
        for (const [id, metricsRound] of metricsRounds) {
          if (metricsRound.pending.delete(worker)) finishMetricsRound(id);
        }
        if (live().length === 0) onAllHandedOver?.();
        break;
    }
  };

  const store: MergedStore = {
    record: (userId, value) => master.record(userId, value),
    recordBatch: (events) => master.recordBatch(events),
    snapshot: () => gather(false),
    reset: async () => {
      await gather(true);
    },
  };

  return {
    store,
    start(port, shardOptions, name) {
      if (failure) return Promise.reject(failure);
      const worker: Worker = { port, name, handedOver: false };
      workers.set(port, worker);
      return new Promise<number>((resolve, reject) => {
        starting.add(reject);
        port.onMessage((message) => {
          if (message.kind === 'hello') {
            port.postMessage({ kind: 'start', options: shardOptions });
          } else if (message.kind === 'ready' || message.kind === 'start-failed') {
            starting.delete(reject);
            if (message.kind === 'ready') resolve(message.port);
            else reject(new Error(message.message));
          } else {
            onMessage(worker, message);
          }
        });
      });
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        if (failure) return reject(failure);
        onAllHandedOver = resolve;
        onCloseFailed = reject;
        const rest = live();
        if (rest.length === 0) return resolve();
        for (const worker of rest) worker.port.postMessage({ kind: 'close' });
      });
      return closing;
    },
    exited(port, reason) {
      const worker = workers.get(port);
      if (!worker || worker.handedOver || failure) return;
      fail(
        new Error(
          `${worker.name} ${reason} before handing over its counts: its acknowledged events are lost`,
        ),
      );
    },
  };
}
