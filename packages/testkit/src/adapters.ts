/**
 * The adapter registry: every adapter the tests, benchmarks and scripts run, once. Adding an
 * adapter is one line here; its example is `examples/<name>/src/main.ts` by convention. Nothing
 * runs on import (scripts import it as `@1mrc/testkit/adapters`); the adapters the tests run here
 * are ./test-adapters.ts.
 */
import { serve as fastify } from '@1mrc/adapter-fastify';
import { serve as node } from '@1mrc/adapter-node';
import { serve as uws } from '@1mrc/adapter-uws';
import type { Serve } from '@1mrc/server';

export const ADAPTERS = { node, fastify, uws } as const satisfies Record<string, Serve>;
export type AdapterName = keyof typeof ADAPTERS;
export const ADAPTER_NAMES = Object.keys(ADAPTERS) as readonly AdapterName[];

export function isAdapterName(name: string): name is AdapterName {
  return Object.hasOwn(ADAPTERS, name);
}

/**
 * The adapters a run asks for: `list` (e.g. `node,uws`, from a flag or an environment variable)
 * or all of them. Throws a TypeError naming the known adapters for a name it does not know.
 */
export function selectAdapters(list: string | undefined): readonly AdapterName[] {
  if (list === undefined || list === '') return ADAPTER_NAMES;
  const names = list.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!isAdapterName(name)) {
      throw new TypeError(`Expected adapters among ${ADAPTER_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
    }
  }
  return names as AdapterName[];
}

/** The adapter's example server, relative to the repository root. */
export function exampleEntry(adapter: AdapterName): string {
  return `examples/${adapter}/src/main.ts`;
}

/**
 * Conformance cases an adapter answers differently on purpose, by case name, each with why.
 * `async` adds the limits that show only with a store that answers later (Redis).
 */
export const CONFORMANCE_DIFFERENCES: Readonly<
  Record<
    AdapterName,
    { readonly always: ReadonlyMap<string, string>; readonly async: ReadonlyMap<string, string> }
  >
> = {
  node: { always: new Map(), async: new Map() },
  fastify: { always: new Map(), async: new Map() },
  uws: {
    // Its chunked parser is unsafe (docs/reliability.md): every chunked body gets the contract's
    // 411 before it is read, which test/hostile/http11-corpus.test.ts checks instead.
    always: new Map([
      ['POST /event with a chunked body is accepted', 'uWS refuses chunked bodies with 411'],
      ['POST /event chunked past 4 KiB is cut off with 413', 'uWS refuses chunked bodies with 411'],
    ]),
    // This build closes a connection on which a request arrives while an earlier one still
    // awaits an asynchronous reply (docs/redis.md).
    async: new Map([
      [
        'pipelining: 10 requests in one write are answered in order',
        'uWS closes a pipelined connection while an async reply is pending',
      ],
    ]),
  },
};

/** Why `adapter` answers conformance case `name` differently on purpose, or undefined. */
export function conformanceDifference(
  adapter: AdapterName,
  name: string,
  asyncStore = false,
): string | undefined {
  const differences = CONFORMANCE_DIFFERENCES[adapter];
  return differences.always.get(name) ?? (asyncStore ? differences.async.get(name) : undefined);
}

/**
 * Behaviour-suite cases an adapter is known to fail, by case name, each with why; they run as
 * `it.fails`. `async` adds the ones that show only when the suite's own store answers later.
 */
const BEHAVIOUR_GAPS: Readonly<
  Record<
    AdapterName,
    { readonly always: Readonly<Record<string, string>>; readonly async: Readonly<Record<string, string>> }
  >
> = {
  node: { always: {}, async: {} },
  fastify: { always: {}, async: {} },
  uws: {
    always: {
      'answers 413 to a request that has one pipelined behind it':
        'the 413 waits for the end of the read (else uWS would handle the request behind it), and uWS drops the connection, unanswered, when it parses that request',
      'handles pipelined requests one after another when the store is asynchronous':
        'uWS drops the connection, unanswered, when a second request arrives in the same packet before an asynchronous store resolved the first (nothing is counted)',
    },
    async: {
      // With the in-memory store every reply is synchronous, so this holds; on Redis it meets
      // the limit above (docs/redis.md).
      'answers pipelined requests in order on one kept-alive connection, across TCP segments':
        'uWS closes a pipelined connection while an async reply is pending (nothing is counted)',
    },
  },
};

/** The behaviour-suite cases `adapter` is known to fail, with an asynchronous store or not. */
export function behaviourGaps(adapter: AdapterName, asyncStore = false): Readonly<Record<string, string>> {
  const gaps = BEHAVIOUR_GAPS[adapter];
  return asyncStore ? { ...gaps.always, ...gaps.async } : gaps.always;
}
