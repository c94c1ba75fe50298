import { createStats, type EventStore } from '@1mrc/core';
import { CONTRACT_PATHS, type Contract, type ContractOptions, createContract } from '@1mrc/core/http';
import type { FastifyInstance, FastifyPluginAsync, FastifyPluginCallback, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { createFastifyPipeline, type FastifyPipeline } from './reply-writer.js';

export interface OneMrcPluginOptions extends Omit<ContractOptions, 'store'> {
  /** The store to feed; default a new `createStats()`. Pass your own to read it. */
  readonly store?: EventStore;
  /** Answer the contract's 404 for any path no route takes (fastify's 404 handler). Default `true`. */
  readonly notFound?: boolean;
}

const never = (): boolean => false;
const PLUGIN_META = { fastify: '5.x', name: '@1mrc/adapter-fastify' } as const;

/**
 * The plugin for a contract already built, and its pipeline (for fastify options such as
 * `frameworkErrors` that take a reply outside any plugin).
 */
export function contractPlugin(
  contract: Contract,
  options: { readonly notFound?: boolean; readonly isDraining?: () => boolean } = {},
): { plugin: FastifyPluginAsync; pipeline: FastifyPipeline } {
  const { notFound = true, isDraining = never } = options;
  // From `close()` on, answers say `Connection: close`: fastify closes only the connections idle
  // when it starts closing, so one that answers a request in flight then would stay open.
  // `preClose` runs a few ticks after `close()`; `isDraining` lets `serve` start at once.
  let closing = false;
  const pipeline = createFastifyPipeline(contract, () => closing || isDraining());
  // Only reached if a request got past the hook, which answers every request itself.
  const unreachable = (_request: unknown, reply: FastifyReply): void =>
    pipeline.fail(reply, new Error('a request got past the onRequest hook'));

  /** Encapsulated: its hook, error and 404 handlers apply to its own routes only. */
  const routes: FastifyPluginCallback = (instance, _options, done) => {
    // Everything is answered here, before fastify reads or parses a body. The hook never calls
    // `done`: fastify's parsing, validation and handler steps do not run for these requests.
    instance.addHook('onRequest', (_request, reply, _done) => pipeline.admit(reply));
    instance.setErrorHandler((error, _request, reply) => pipeline.fail(reply, error));
    instance.addHook('preClose', (next) => {
      closing = true;
      next();
    });
    for (const url of CONTRACT_PATHS) instance.all(url, { logLevel: 'warn' }, unreachable);
    if (notFound) instance.setNotFoundHandler(unreachable);
    done();
  };

  // fastify-plugin gives the plugin its name and the fastify version check; the routes stay in a
  // child context of their own, so the hook never sees the host application's routes.
  const plugin = fp(async (instance: FastifyInstance, options: { readonly prefix?: string }) => {
    const prefix = options.prefix ?? instance.prefix;
    if (prefix !== undefined && prefix !== '') {
      throw new TypeError(`Expected oneMrcPlugin without a prefix (the paths are fixed), got '${prefix}'`);
    }
    await instance.register(routes);
  }, PLUGIN_META);
  return { plugin, pipeline };
}

/**
 * Serves the challenge routes (docs/http-api.md) on your fastify 5 instance:
 * `app.register(oneMrcPlugin, { store, resetToken, onError, …limits })`. A fastify-plugin named
 * `@1mrc/adapter-fastify`; its hook, error and 404 handlers apply to its own routes (and, with
 * `notFound`, to unmatched paths) only. Options are checked on registration: a bad limit fails
 * `register` with a `TypeError` that quotes it.
 */
export const oneMrcPlugin: FastifyPluginAsync<OneMrcPluginOptions> = fp(
  async (instance: FastifyInstance, options: OneMrcPluginOptions) => {
    const {
      store = createStats(),
      notFound,
      prefix,
      ...limits
    } = options as OneMrcPluginOptions & {
      readonly prefix?: string;
    };
    const contract = createContract({ ...limits, store });
    await instance.register(contractPlugin(contract, { notFound }).plugin, {
      prefix: prefix ?? instance.prefix,
    });
  },
  PLUGIN_META,
);
