/**
 * `--client-threads N`: the request range split into N contiguous parts, each sent by its own
 * worker thread with its own connections; histograms come back encoded and are added up.
 */
import { Worker } from 'node:worker_threads';
import { decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { type EngineName, runEngine } from './engines.js';
import { createHistogram, type LoadOptions, type LoadResult } from './load.js';
import { buildBodies, createPattern, type PatternName, type RequestBodies } from './pattern.js';

/** Everything a thread needs to rebuild its share of the run; plain data for `postMessage`. */
export interface LoadSpec {
  readonly engine: EngineName;
  /** Several servers sharing one store: connections are spread over them round-robin. */
  readonly origins: readonly string[];
  readonly pattern: PatternName;
  readonly users: number;
  readonly userPrefix?: string | undefined;
  /** Open model: requests per second for the whole run (each thread sends its share). */
  readonly rate?: number | undefined;
  readonly events: number;
  readonly batch?: number | undefined;
  readonly connections: number;
  readonly pipelining: number;
  readonly timeoutMs: number;
  readonly maxErrors: number;
}

export interface ThreadData {
  readonly spec: LoadSpec;
  readonly first: number;
  readonly end: number;
  readonly connections: number;
  readonly connectionOffset: number;
  readonly maxErrors: number;
  readonly progress: Int32Array;
  readonly index: number;
}

export type ThreadResult = Omit<LoadResult, 'histogram' | 'corrected'> & {
  readonly histogram: string;
  readonly corrected?: string | undefined;
};

/** The events, as request bodies, of a run: built the same way in every thread. */
export function bodiesOf(spec: LoadSpec): RequestBodies {
  const pattern = createPattern(spec.pattern, spec.users, {
    events: spec.events,
    userPrefix: spec.userPrefix,
  });
  return buildBodies(pattern, spec.events, spec.batch);
}

/** The engine's options for requests [first, end) on `connections` connections from `connectionOffset`. */
export function loadOptions(
  spec: LoadSpec,
  part: { first: number; end: number; connections: number; connectionOffset: number; maxErrors: number },
  bodies: RequestBodies,
  progress: Int32Array,
  progressIndex: number,
): LoadOptions {
  const total = requestCount(spec);
  return {
    origins: spec.origins,
    connectionOffset: part.connectionOffset,
    ...(spec.rate === undefined ? {} : { rate: (spec.rate * (part.end - part.first)) / total }),
    path: spec.batch === undefined ? '/event' : '/events',
    bodies,
    first: part.first,
    end: part.end,
    connections: part.connections,
    pipelining: spec.pipelining,
    timeoutMs: spec.timeoutMs,
    maxErrors: part.maxErrors,
    progress,
    progressIndex,
  };
}

export function requestCount(spec: LoadSpec): number {
  return spec.batch === undefined ? spec.events : Math.ceil(spec.events / spec.batch);
}

/** Splits `total` into `parts` near-equal contiguous shares: [first, end) of share `i`. */
export function share(total: number, parts: number, i: number): [number, number] {
  const base = Math.floor(total / parts);
  const extra = total % parts;
  const first = i * base + Math.min(i, extra);
  return [first, first + base + (i < extra ? 1 : 0)];
}

/**
 * From source, workers load through thread-ts.mjs (a worker does not inherit tsx's hooks) and
 * need the `source` condition; nothing else of the parent's flags (a test runner's) is passed on.
 */
function workerEntry(): { entry: URL; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './thread-ts.mjs' : './thread.js', import.meta.url);
  return { entry, execArgv: fromSource ? ['--conditions=source'] : [] };
}

export async function runThreads(
  spec: LoadSpec,
  threads: number,
  progress: Int32Array,
  onStarted: () => void,
): Promise<LoadResult> {
  const { entry, execArgv } = workerEntry();
  const total = requestCount(spec);
  const workers = Array.from({ length: threads }, (_, index) => {
    const [first, end] = share(total, threads, index);
    const [c0, c1] = share(spec.connections, threads, index);
    const data: ThreadData = {
      spec,
      first,
      end,
      connections: c1 - c0,
      connectionOffset: c0,
      maxErrors: Math.max(1, Math.ceil(spec.maxErrors / threads)),
      progress,
      index,
    };
    return new Worker(entry, { workerData: data, execArgv });
  });
  const message = (worker: Worker): Promise<unknown> =>
    new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`client thread exited with code ${code}`)));
    });
  try {
    // Every thread builds its bodies first, so the clock starts when all are ready to send.
    await Promise.all(workers.map(message));
    const results = workers.map((worker) => message(worker) as Promise<ThreadResult>);
    for (const worker of workers) worker.postMessage('start');
    onStarted();
    return merge(await Promise.all(results));
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

function merge(results: readonly ThreadResult[]): LoadResult {
  const histogram = createHistogram();
  const corrected = results[0]?.corrected === undefined ? undefined : createHistogram();
  const errors: Record<string, number> = {};
  for (const result of results) {
    histogram.add(decodeFromCompressedBase64(result.histogram, 32, false));
    if (corrected && result.corrected) corrected.add(decodeFromCompressedBase64(result.corrected, 32, false));
    for (const [kind, count] of Object.entries(result.errors)) errors[kind] = (errors[kind] ?? 0) + count;
  }
  const sum = (pick: (r: ThreadResult) => number): number => results.reduce((s, r) => s + pick(r), 0);
  return {
    succeeded: sum((r) => r.succeeded),
    eventsSucceeded: sum((r) => r.eventsSucceeded),
    failed: sum((r) => r.failed),
    notSent: sum((r) => r.notSent),
    errors,
    histogram,
    corrected,
    lateness: corrected
      ? {
          lastMs: Math.max(...results.map((r) => r.lateness?.lastMs ?? 0)),
          maxMs: Math.max(...results.map((r) => r.lateness?.maxMs ?? 0)),
        }
      : undefined,
    startedAt: Math.min(...results.map((r) => r.startedAt)),
    endedAt: Math.max(...results.map((r) => r.endedAt)),
  };
}

/** Runs one thread's share (called in the worker by thread.ts). */
export async function runShare(data: ThreadData, ready: () => Promise<void>): Promise<ThreadResult> {
  const bodies = bodiesOf(data.spec);
  await ready();
  const result = await runEngine(
    data.spec.engine,
    loadOptions(data.spec, data, bodies, data.progress, data.index),
  );
  return {
    ...result,
    histogram: encodeIntoCompressedBase64(result.histogram),
    corrected: result.corrected ? encodeIntoCompressedBase64(result.corrected) : undefined,
  };
}
