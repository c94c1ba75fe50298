/** `--url a,b`: several servers sharing one store get the connections round-robin. */
import { createStats } from '@1mrc/core';
import { describe, expect, it } from 'vitest';
import { runChallenge } from '../src/challenge.js';
import { cli } from './fixtures/cli.js';
import { type FixtureServer, fixtureServers } from './fixtures/server.js';

const fixtures = fixtureServers();

function servers(stores: readonly ReturnType<typeof createStats>[]): Promise<FixtureServer[]> {
  return Promise.all(stores.map((store) => fixtures.start({}, { store })));
}

describe('several servers', () => {
  it('spreads the connections over servers sharing one store and validates the aggregate exactly', async () => {
    const store = createStats();
    const three = await servers([store, store, store]);
    const report = await runChallenge({
      url: three.map((s) => s.url),
      requests: 3000,
      concurrency: 30,
      pattern: 'hard',
    });
    expect(report.problems).toEqual([]);
    expect(report.urls).toEqual(three.map((s) => s.url));
    expect(report.servers?.map((s) => s.after)).toEqual([report.after, report.after, report.after]);
    // Round-robin: 10 connections each, and every one of them sent.
    for (const server of three) expect(server.posts()).toBeGreaterThan(0);
    expect(three.reduce((n, s) => n + s.posts(), 0)).toBe(3000);
  });

  it('fails servers that do not agree', async () => {
    const two = await servers([createStats(), createStats()]);
    const report = await runChallenge({ url: two.map((s) => s.url), requests: 1000, concurrency: 10 });
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toMatch(/the servers disagree on \/stats after the run: http:\/\/127/);
  });

  it('takes a comma-separated --url on the command line', async () => {
    const store = createStats();
    const two = await servers([store, store]);
    const run = await cli([
      '--url',
      two.map((s) => s.url).join(','),
      '--requests',
      '1000',
      '--concurrency',
      '10',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/2 servers agree; fresh server: every field checked exactly/);
  });
});
