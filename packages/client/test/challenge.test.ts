import { afterEach, describe, expect, it } from 'vitest';
import { type ChallengeOptions, runChallenge as run } from '../src/challenge.js';
import { ENGINES } from '../src/engines.js';
import { type FixtureServer, type Misbehaviour, serveFixture } from './fixtures/server.js';

const small = { requests: 2000, concurrency: 20 } as const;
const closers: (() => Promise<void>)[] = [];

async function start(misbehave: Misbehaviour = {}): Promise<FixtureServer> {
  const server = await serveFixture({}, misbehave);
  closers.push(() => server.close());
  return server;
}

async function fixture(misbehave: Misbehaviour = {}): Promise<string> {
  return (await start(misbehave)).url;
}

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe.each(ENGINES)('the %s engine', (engine) => {
  const runChallenge = (options: ChallengeOptions) => run({ engine, ...options });

  describe('runChallenge against a correct server', () => {
    it('passes, fresh, with every field checked exactly', async () => {
      const report = await runChallenge({ url: await fixture(), requests: 20_000, concurrency: 100 });
      expect(report.problems).toEqual([]);
      expect(report).toMatchObject({ ok: true, succeeded: 20_000, failed: 0, notSent: 0, errors: {} });
      expect(report.options.engine).toBe(engine);
      expect(report.validation.fresh).toBe(true);
      expect(report.validation.checks.every((c) => c.ok && c.range === undefined)).toBe(true);
      expect(report.latencyUs.p50).toBeGreaterThan(0);
      expect(report.latencyUs.max).toBeGreaterThanOrEqual(report.latencyUs.p99);
    });

    it('checks the change on a server that was not fresh, and says users cannot be checked exactly', async () => {
      const url = await fixture();
      await runChallenge({ url, ...small, pattern: 'official' });
      const report = await runChallenge({ url, ...small, pattern: 'official', users: 3000 });
      expect(report.ok).toBe(true);
      expect(report.validation.fresh).toBe(false);
      expect(report.before.totalRequests).toBe(2000);
      expect(report.after.totalRequests).toBe(4000);
      const users = report.validation.checks.find((c) => c.field === 'uniqueUsers');
      expect(users?.note).toMatch(/cannot be checked exactly: the server already had 2000 users/);
    });

    it('passes with pipelining, batches and client threads', async () => {
      const url = await fixture();
      // 10 users: the requests repeat every 1,000, so pipelined writes wrap around the period.
      const cases = [{ pipelining: 8 }, { pipelining: 7, users: 10 }, { batch: 37 }, { clientThreads: 2 }];
      for (const options of cases) {
        const report = await runChallenge({ url, ...small, ...options });
        expect(report.problems, JSON.stringify(options)).toEqual([]);
        expect(report.after.totalRequests - report.before.totalRequests).toBe(2000);
      }
    });
  });

  describe('runChallenge against a wrong server', () => {
    it.each(['totalRequests', 'uniqueUsers', 'sum', 'avg'] as const)(
      'fails and names %s when /stats lies about it',
      async (field) => {
        const report = await runChallenge({ url: await fixture({ lie: field }), ...small });
        expect(report.ok).toBe(false);
        expect(report.failed).toBe(0);
        expect(report.validation.checks.filter((c) => !c.ok).map((c) => c.field)).toEqual([field]);
        expect(report.problems.join('\n')).toMatch(new RegExp(`^${field}: expected`, 'm'));
      },
    );

    it('counts 500 answers by status and fails', async () => {
      const report = await runChallenge({ url: await fixture({ fail500Every: 50 }), ...small });
      expect(report.ok).toBe(false);
      expect(report.errors).toEqual({ 'status 500': 40 });
      expect(report.failed).toBe(40);
      expect(report.problems[0]).toMatch(/40 requests failed \(status 500: 40\)/);
    });

    it('counts destroyed connections as resets and fails', async () => {
      const report = await runChallenge({ url: await fixture({ destroyEvery: 100 }), ...small });
      expect(report.ok).toBe(false);
      expect(report.errors).toEqual({ reset: 20 });
      expect(report.succeeded).toBe(1980);
    });

    it('re-sends nothing when a pipelined connection is destroyed', async () => {
      const server = await start({ destroyEvery: 100 });
      const report = await runChallenge({ url: server.url, ...small, pipelining: 4 });
      expect(report.ok).toBe(false);
      expect(Object.keys(report.errors)).toEqual(['reset']);
      // The requests queued behind each destroyed one fail too, instead of being re-sent.
      expect(report.failed).toBeGreaterThan(20);
      expect(report.succeeded + report.failed).toBe(2000);
      // undici re-sends them by default; the server, which had read some of them already,
      // would then have seen more POSTs than the run sent.
      expect(server.posts()).toBeLessThanOrEqual(2000);
    });

    it('stops starting requests after max errors', async () => {
      const report = await runChallenge({ url: await fixture({ destroyEvery: 1 }), ...small, maxErrors: 50 });
      expect(report.ok).toBe(false);
      expect(report.failed).toBeGreaterThanOrEqual(50);
      expect(report.failed).toBeLessThan(50 + small.concurrency);
      expect(report.notSent).toBe(2000 - report.failed);
      expect(report.problems.join('\n')).toMatch(/requests not sent: too many errors/);
    });

    it('fails clearly when nothing listens', async () => {
      const server = await start();
      await closers.pop()?.();
      await expect(runChallenge({ url: server.url, ...small })).rejects.toThrow(
        /GET .*\/stats failed: .*ECONNREFUSED/,
      );
    });
  });
});

describe('runChallenge options', () => {
  it.each([
    [{ requests: 0 }, /requests to be a positive integer, got 0/],
    [{ requests: 2 ** 31 }, /requests to be at most 2\^31 - 1, got 2147483648/],
    [{ concurrency: 1.5 }, /concurrency to be a positive integer, got 1.5/],
    [{ url: 'ftp://x' }, /http:\/\/ URL, got ftp:\/\/x/],
    [{ url: 'http://127.0.0.1:1', adapter: 'uws' as const }, /at most one of adapter, url and command/],
    [{ pattern: 'nope' as never }, /pattern to be one of seed, official, got nope/],
    [{ engine: 'curl' as never, url: 'http://127.0.0.1:1' }, /engine to be one of raw, undici, got curl/],
    [{ clientThreads: 5, concurrency: 4, url: 'http://127.0.0.1:1' }, /at most concurrency/],
  ])('rejects %j before sending anything', async (options, message) => {
    await expect(run(options)).rejects.toThrow(message);
  });
});
