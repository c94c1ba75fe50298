import { createStats, type EventStore } from '@1mrc/core';
import { CONTRACT_PATHS, type Contract, type ContractOptions, createContract } from '@1mrc/core/http';
import type { FastifyPluginCallback, FastifyReply } from 'fastify';
import { type Answerer, createAnswerer } from './answer.js';

export interface OneMrcPluginOptions extends Omit<ContractOptions, 'store'> {
  /** The store to feed; default a new `createStats()`. Pass your own to read it. */
  readonly store?: EventStore;
  /** Answer the contract's 404 for any path no route takes (fastify's 404 handler). Default `true`. */
  readonly notFound?: boolean;
}

const never = (): boolean => false;

/**
 * The plugin for a contract already built, and its answerer (for fastify options such as
 * `frameworkErrors` that take a reply outside any plugin).
 */
export function contractPlugin(
  contract: Contract,
  options: { readonly notFound?: boolean; readonly isDraining?: () => boolean } = {},
): { plugin: FastifyPluginCallback; answerer: Answerer } {
  const { notFound = true, isDraining = never } = options;
  // From `close()` on, answers say `Connection: close`: fastify closes only the connections idle
  // when it starts closing, so one that answers a request in flight then would stay open.
  // `preClose` runs a few ticks after `close()`; `isDraining` lets `serve` start at once.
  let closing = false;
  const answerer = createAnswerer(contract, () => closing || isDraining());
  // Only reached if a request got past the hook, which answers every request itself.
  const unreachable = (_request: unknown, reply: FastifyReply): void => answerer.fail(reply);

  const plugin: FastifyPluginCallback = (instance, _options, done) => {
    if (instance.prefix !== '') {
      done(
        new TypeError(
          `Expected oneMrcPlugin without a prefix (the paths are fixed), got '${instance.prefix}'`,
        ),
      );
      return;
    }
    // Everything is answered here, before fastify reads or parses a body. The hook never calls
    // `done`: fastify's parsing, validation and handler steps do not run for these requests.
    instance.addHook('onRequest', (_request, reply, _done) => answerer.admit(reply));
    instance.setErrorHandler((_error, _request, reply) => answerer.fail(reply));
    instance.addHook('preClose', (next) => {
      closing = true;
      next();
    });
    for (const url of CONTRACT_PATHS) instance.all(url, { logLevel: 'warn' }, unreachable);
    if (notFound) instance.setNotFoundHandler(unreachable);
    done();
  };
  return { plugin, answerer };
}

/**
 * Serves the challenge routes on your fastify instance. Encapsulated: its hook, error and 404
 * handlers apply to its own routes (and, with `notFound`, to unmatched paths) only.
 */
export const oneMrcPlugin: FastifyPluginCallback<OneMrcPluginOptions> = (instance, options, done) => {
  const { store = createStats(), notFound, ...limits } = options;
  let contract: Contract;
  try {
    contract = createContract({ ...limits, store });
  } catch (error) {
    done(error as Error);
    return;
  }
  contractPlugin(contract, { notFound }).plugin(instance, {}, done);
};
