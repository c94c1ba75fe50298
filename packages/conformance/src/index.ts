/**
 * The cross-adapter HTTP conformance suite: what any server for the challenge must answer,
 * as a list of named cases that run under vitest (one `it` each) or alone (`runConformance`).
 * The expectations are the contract in `@1mrc/core/http` with its default limits; see docs/conformance.md.
 */
import { randomUUID } from 'node:crypto';
import { positiveInteger } from '@1mrc/core';
import { Agent, request } from 'undici';
import { acceptCases } from './accepts.js';
import { propertyCase } from './property.js';
import { rejectCases } from './rejects.js';
import type { CaseContext, CaseDefinition, Need, ServerUnderTest, StartServer } from './types.js';

export type { Answer, CaseContext, CaseDefinition, Need, ServerUnderTest, StartServer } from './types.js';

export interface PropertyOptions {
  /** Runs of the fast-check property. Default 100. */
  readonly propertyRuns?: number;
  /** Replays a property failure: the seed fast-check printed. */
  readonly propertySeed?: number;
}

/** A target the suite starts itself. */
export interface ConformanceOptions extends PropertyOptions {
  /**
   * Starts a fresh server (default limits); called once for a shared server, once with a
   * `resetToken` for the `/reset` cases, and once per case that needs zero stats.
   */
  readonly start: StartServer;
}

/** A server that is already running. */
export interface RunningTarget extends PropertyOptions, ResetKnowledge {
  readonly url: string;
}

/**
 * What the caller knows of a running server's `/reset`. The suite cannot tell a server with a
 * reset token from one without, so with neither field set every `/reset` case is skipped.
 */
export interface ResetKnowledge {
  /** Its reset token, if `/reset` is enabled: cases that need zero stats reset it first. */
  readonly resetToken?: string;
  /** The server has `/reset` disabled (no token): runs the case that checks it answers 404. */
  readonly resetDisabled?: boolean;
}

export interface ConformanceCase {
  readonly name: string;
  /** Why the case cannot run against this target; unset when it can. */
  readonly skip?: string;
  run(): Promise<void>;
}

export interface ConformanceSuite {
  readonly cases: readonly ConformanceCase[];
  /** Stops every server the suite started and its connection pool. */
  close(): Promise<void>;
}

export interface ConformanceReport {
  readonly passed: number;
  readonly failed: readonly { readonly name: string; readonly message: string }[];
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
}

/** Every case, in the order they run. */
export function conformanceCases(options: PropertyOptions = {}): CaseDefinition[] {
  const numRuns = positiveInteger('propertyRuns', options.propertyRuns, 100);
  const property = propertyCase({
    numRuns,
    ...(options.propertySeed === undefined ? {} : { seed: options.propertySeed }),
  });
  return [...acceptCases, ...rejectCases, property];
}

/** Where each need is served from. */
interface Servers {
  /** Why a case with this need cannot run here, as what the user can do about it; undefined if it can. */
  skipReason(need: Need): string | undefined;
  /** The server for a case; `done` runs after the case. */
  url(need: Need): Promise<{ url: string; done?: () => Promise<void> }>;
  readonly resetToken: string | undefined;
  close(): Promise<void>;
}

function startedServers(start: StartServer): Servers {
  const resetToken = `conformance-${randomUUID()}`;
  const started: ServerUnderTest[] = [];
  const launch = async (options: { resetToken?: string }): Promise<ServerUnderTest> => {
    const server = await start(options);
    started.push(server);
    return server;
  };
  let shared: Promise<ServerUnderTest> | undefined;
  let withToken: Promise<ServerUnderTest> | undefined;
  return {
    resetToken,
    skipReason: () => undefined,
    url(need) {
      if (need === 'fresh') {
        return launch({}).then((server) => ({
          url: server.url,
          done: async () => {
            started.splice(started.indexOf(server), 1);
            await server.close();
          },
        }));
      }
      if (need === 'reset-token') {
        withToken ??= launch({ resetToken });
        return withToken.then(({ url }) => ({ url }));
      }
      shared ??= launch({});
      return shared.then(({ url }) => ({ url }));
    },
    async close() {
      await Promise.all(started.splice(0).map((server) => server.close()));
    },
  };
}

function runningServer(url: string, reset: ResetKnowledge, agent: Agent): Servers {
  const { resetToken } = reset;
  if (resetToken !== undefined && reset.resetDisabled) {
    throw new TypeError('Expected either resetToken or resetDisabled, got both');
  }
  return {
    resetToken,
    skipReason(need) {
      if (need === 'any') return undefined;
      if (need === 'no-reset-token') {
        if (reset.resetDisabled) return undefined;
        return resetToken === undefined
          ? 'checks that POST /reset answers 404 when /reset is disabled: pass --reset-disabled if this server has no reset token'
          : 'checks a server with /reset disabled, and this one has a reset token: start it without one and pass --reset-disabled instead of --reset-token';
      }
      if (resetToken !== undefined) return undefined;
      return need === 'fresh'
        ? 'needs zero stats: pass --reset-token <token> to let the suite reset the server first (it wipes its stats)'
        : 'needs /reset enabled: pass --reset-token <token> to run the /reset cases';
    },
    url(need) {
      if (need === 'fresh') {
        return agent
          .request({
            origin: new URL(url).origin,
            path: '/reset',
            method: 'POST',
            headers: { authorization: `Bearer ${resetToken}` },
          })
          .then(async (answer) => {
            await answer.body.dump();
            if (answer.statusCode !== 200) throw new Error(`POST /reset answered ${answer.statusCode}`);
            return { url };
          });
      }
      return Promise.resolve({ url });
    },
    close: async () => {},
  };
}

/**
 * The suite, for a server the suite starts itself (`start`) or one already running (`url`,
 * plus `resetToken` if it has `/reset` enabled: then zero-stats cases reset it first).
 * Cases share a server and must run one at a time, in order.
 */
export function defineConformance(target: ConformanceOptions | RunningTarget): ConformanceSuite {
  const agent = new Agent({ keepAliveTimeout: 1_000, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const servers = 'start' in target ? startedServers(target.start) : runningServer(target.url, target, agent);
  const cases = conformanceCases(target).map((definition): ConformanceCase => {
    const need = definition.needs ?? 'any';
    const skip = servers.skipReason(need);
    return {
      name: definition.name,
      ...(skip === undefined ? {} : { skip }),
      async run() {
        if (skip !== undefined) throw new Error(`cannot run: ${skip}`);
        const server = await servers.url(need);
        const context: CaseContext = { url: server.url, resetToken: servers.resetToken, dispatcher: agent };
        try {
          await definition.run(context);
        } finally {
          await server.done?.();
        }
      },
    };
  });
  return {
    cases,
    async close() {
      await agent.close();
      await servers.close();
    },
  };
}

/**
 * Runs every conformance case in order against one server and reports what passed, failed and
 * was skipped; never throws for a failing case.
 *
 * @param target - The base URL of a server that is already running (e.g. `http://127.0.0.1:8080`),
 *   or a function that starts a fresh server with the default limits (called once for a shared
 *   server, once with a `resetToken`, and once per case that needs zero stats).
 * @param options - Property runs and seed; for a URL, what is known of its `/reset`: with
 *   `resetToken`, the cases that need zero stats reset the server first, which **wipes its stats**;
 *   without it, those cases and the `/reset` cases are skipped, each with the flag that runs it.
 * @returns The number passed, and each failure (with what was expected and what came back) and skip
 *   (with its reason) by case name.
 * @throws Error when a URL cannot be reached at all; TypeError for invalid options.
 *
 * @example
 * ```ts
 * const report = await runConformance('http://127.0.0.1:8080', { resetToken: process.env.RESET_TOKEN });
 * if (report.failed.length > 0) process.exitCode = 1;
 * ```
 */
export async function runConformance(
  target: string | StartServer,
  options: PropertyOptions & ResetKnowledge = {},
): Promise<ConformanceReport> {
  if (typeof target === 'string') await reachable(target);
  const suite = defineConformance(
    typeof target === 'string' ? { ...options, url: target } : { ...options, start: target },
  );
  let passed = 0;
  const failed: { name: string; message: string }[] = [];
  const skipped: { name: string; reason: string }[] = [];
  try {
    for (const c of suite.cases) {
      if (c.skip) {
        skipped.push({ name: c.name, reason: c.skip });
        continue;
      }
      try {
        await c.run();
        passed++;
      } catch (error) {
        failed.push({ name: c.name, message: error instanceof Error ? error.message : String(error) });
      }
    }
  } finally {
    await suite.close();
  }
  return { passed, failed, skipped };
}

/** One clear error for a server that is not there, instead of every case failing alike. */
async function reachable(url: string): Promise<void> {
  try {
    const answer = await request(new URL('/health', url), { headersTimeout: 10_000, bodyTimeout: 10_000 });
    await answer.body.dump();
  } catch (error) {
    throw new Error(`cannot reach ${url}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
