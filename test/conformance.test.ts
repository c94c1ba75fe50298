/**
 * The conformance suite against every adapter, each on its own server on port 0, and the
 * cross-adapter check: the same events give the same `/stats` bytes everywhere.
 * CONFORMANCE_RUNS raises the property's runs (default 100 per adapter).
 */

import { serve as fastify } from '@1mrc/adapter-fastify';
import { serve as node } from '@1mrc/adapter-node';
import { serve as uws } from '@1mrc/adapter-uws';
import { defineConformance, runConformance } from '@1mrc/client/conformance';
import { createStats } from '@1mrc/core';
import { statsReply } from '@1mrc/core/http';
import type { RunningServer, Serve, ServeOptions } from '@1mrc/server';
import { afterAll, describe, expect, it } from 'vitest';
import { type Mutation, serveMutant } from './contract-server.js';
import { skipsUws } from './uws-availability.js';

const ADAPTERS: Readonly<Record<string, Serve>> = { node, fastify, uws };
const only = process.env['CONFORMANCE_ADAPTERS']?.split(',');
const adapters = Object.entries(ADAPTERS).filter(
  ([name]) => (!only || only.includes(name)) && !skipsUws(name),
);
const propertyRuns = Number(process.env['CONFORMANCE_RUNS'] ?? 100);

for (const [name, serve] of adapters) {
  describe(`conformance: ${name}`, () => {
    const suite = defineConformance({
      start: (options) => serve({ port: 0, ...options }),
      propertyRuns,
    });
    afterAll(() => suite.close());
    for (const c of suite.cases) (c.skip ? it.skip : it)(c.name, c.run);
  });
}

/** Values whose float running sum differs from the exact one, and ids that only differ in case or form. */
const EVENTS = [
  { userId: 'user_1', value: 0.1 },
  { userId: 'User_1', value: 0.2 },
  { userId: 'user_1', value: 0.3 },
  { userId: 'é', value: 1e16 },
  { userId: 'e\u0301', value: 1 },
  { userId: 'user_2', value: 1 },
  { userId: 'user_3', value: -1e16 },
  { userId: '€'.repeat(85), value: 5e-324 },
  { userId: 'user_1', value: -0 },
  { userId: 'user_4', value: 123456.789 },
];

async function statsAfterEvents(server: RunningServer): Promise<string> {
  const post = async (path: string, body: string): Promise<void> => {
    const answer = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(answer.status, await answer.text()).toBe(200);
  };
  // Half one by one, half as one batch: both paths must land in the same state.
  const half = EVENTS.length / 2;
  for (const event of EVENTS.slice(0, half)) await post('/event', JSON.stringify(event));
  await post('/events', JSON.stringify(EVENTS.slice(half)));
  return (await fetch(`${server.url}/stats`)).text();
}

describe('cross-adapter', () => {
  it.skipIf(adapters.length === 0)(
    'the same events give the same /stats bytes on every adapter, and those of the core',
    async () => {
      const reference = createStats();
      for (const { userId, value } of EVENTS) reference.record(userId, value);
      const expected = new TextDecoder().decode(statsReply(reference.snapshot()).body);
      const served: Record<string, string> = {};
      for (const [name, serve] of adapters) {
        const server = await serve({ port: 0 });
        try {
          served[name] = await statsAfterEvents(server);
        } finally {
          await server.close();
        }
      }
      expect(served).toEqual(Object.fromEntries(adapters.map(([name]) => [name, expected])));
    },
  );
});

/** The store of a server that counts each event twice, or folds user ids to lower case. */
function brokenStore(kind: 'twice' | 'lower-case'): ServeOptions['store'] {
  const stats = createStats();
  return {
    record(userId, value) {
      if (kind === 'twice') stats.record(userId, value);
      stats.record(kind === 'lower-case' ? userId.toLowerCase() : userId, value);
    },
    recordBatch: (events) => stats.recordBatch(events),
    snapshot: () => stats.snapshot(),
    reset: () => stats.reset(),
  };
}

const MUTANTS: readonly (readonly [string, Mutation, ServeOptions, readonly string[]])[] = [
  ['serves the contract as it is', {}, {}, []],
  [
    'counts each event twice',
    {},
    { store: brokenStore('twice') },
    [
      'POST /event answers 200 {"status":"ok"} and /stats counts it exactly',
      'POST /event with application/json is counted once',
    ],
  ],
  [
    'folds user ids to lower case',
    {},
    { store: brokenStore('lower-case') },
    ['user ids are case-sensitive: User_x and user_x are two users'],
  ],
  [
    'answers 405 without Allow',
    { reply: ({ headers: { allow: _, ...headers }, ...reply }) => ({ ...reply, headers }) },
    {},
    ['GET /event is 405 with Allow: POST', 'PUT /stats is 405 with Allow: GET'],
  ],
  [
    'answers errors as text/plain',
    {
      reply: (reply) =>
        reply.status < 400 ? reply : { ...reply, headers: { 'content-type': 'text/plain' } },
    },
    {},
    ['POST /event rejects truncated JSON (INVALID_JSON)', 'GET /nope is 404'],
  ],
  [
    'ignores Content-Type',
    { head: (head) => ({ ...head, contentType: undefined }) },
    {},
    ['POST /event with Content-Type text/plain is 415'],
  ],
  [
    'routes on the query string',
    { head: (head) => ({ ...head, url: head.url.replace('?', '/?') }) },
    {},
    ['POST /event?x=1: the query string is ignored', 'GET /health?probe=1 ignores the query string'],
  ],
];

describe('the suite fails a server that breaks the contract', () => {
  for (const [name, mutation, options, failing] of MUTANTS) {
    it(`a server that ${name}: ${failing.length === 0 ? 'passes everything' : `fails ${failing.length}+ cases`}`, async () => {
      const report = await runConformance((start) => serveMutant({ ...options, ...start }, mutation), {
        propertyRuns: 10,
      });
      const failed = report.failed.map((f) => f.name);
      if (failing.length === 0) expect(report.failed).toEqual([]);
      else expect(failed).toEqual(expect.arrayContaining([...failing]));
      expect(report.skipped).toEqual([]);
    });
  }
});
