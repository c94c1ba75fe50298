/**
 * The adapter registry: every adapter the tests, benchmarks and scripts run, once. Adding an
 * adapter is one line here; its example is `examples/<name>/src/main.ts` by convention.
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

/** `TEST_ADAPTERS=node,uws` runs the tests that go over every adapter on some only. */
export const testAdapters: readonly AdapterName[] = selectAdapters(process.env['TEST_ADAPTERS']);

/** The adapter's example server, relative to the repository root. */
export function exampleEntry(adapter: AdapterName): string {
  return `examples/${adapter}/src/main.ts`;
}
