import { describe, expect, it } from 'vitest';
import { type ChallengeOptions, runChallenge as run } from '../src/challenge.js';
import { ENGINES } from '../src/engines.js';
import { fixtureServers } from './fixtures/server.js';

const small = { requests: 2000, concurrency: 20 } as const;
const servers = fixtureServers();
const start = servers.start;
const fixture = servers.url;

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
      expect(report.latencyUs.max).toBeGreaterThanOrEqual(report.latencyUs.p999);
      expect(report.latencyUs.p999).toBeGreaterThanOrEqual(report.latencyUs.p99);
    });

    it('checks the change on a server that was not fresh, users exactly with userIds of its own', async () => {
      const url = await fixture();
      await runChallenge({ url, ...small, pattern: 'official' });
      const report = await runChallenge({ url, ...small, pattern: 'official', users: 3000 });
      expect(report.problems).toEqual([]);
      expect(report.validation.fresh).toBe(false);
      expect(report.userPrefix).toMatch(/^run[0-9a-f]{12}_$/);
      expect(report.before.totalRequests).toBe(2000);
      expect(report.after.totalRequests).toBe(4000);
      const users = report.validation.checks.find((c) => c.field === 'uniqueUsers');
      expect(users).toMatchObject({ ok: true, expected: 4000, actual: 4000 });
      expect(users?.range).toBeUndefined();
    });

    it("catches a server that counts a run's new users wrong, even when it was not fresh", async () => {
      // Counts a user again once the store already holds 2,000 events: invisible to bounds.
      let extra = 0;
      const server = await start({
        rewriteStats: (s) => {
          if ((s['totalRequests'] as number) > 2000) extra = 1;
          return { ...s, uniqueUsers: (s['uniqueUsers'] as number) - extra };
        },
      });
      await runChallenge({ url: server.url, ...small });
      const report = await runChallenge({ url: server.url, ...small });
      expect(report.ok).toBe(false);
      expect(report.validation.checks.filter((c) => !c.ok).map((c) => c.field)).toEqual(['uniqueUsers']);
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
      await servers.closeLast();
      await expect(runChallenge({ url: server.url, ...small })).rejects.toThrow(
        /GET .*\/stats failed: .*ECONNREFUSED/,
      );
    });
  });
});

describe('runChallenge options', () => {
  it.each([
    [{ url: 'http://127.0.0.1:1', requests: 0 }, /requests to be a positive integer, got 0/],
    [{ url: 'http://127.0.0.1:1', requests: 2 ** 31 }, /requests to be at most 2\^31 - 1, got 2147483648/],
    [{ url: 'http://127.0.0.1:1', concurrency: 1.5 }, /concurrency to be a positive integer, got 1.5/],
    [{ url: 'ftp://x' }, /http:\/\/ URL, got ftp:\/\/x/],
    [{}, /exactly one of url and command/],
    [{ url: 'http://127.0.0.1:1', command: 'true' }, /exactly one of url and command/],
    [{ url: 'http://127.0.0.1:1', env: { A: '1' } }, /no env with url/],
    [
      { url: 'http://127.0.0.1:1', pattern: 'nope' as never },
      /pattern to be one of seed, official, hard, got nope/,
    ],
    [{ url: 'http://127.0.0.1:1', pattern: 'hard' as const, requests: 2 ** 25 }, /at most 16000000 requests/],
    [{ url: 'http://127.0.0.1:1', rate: -1 }, /rate to be a positive number/],
    [{ url: 'http://127.0.0.1:1', rate: 10, engine: 'undici' as const }, /raw engine with a rate/],
    [{ url: 'http://127.0.0.1:1', durationMs: 1000 }, /rate with durationMs/],
    [
      { url: 'a,b'.replace('a', 'http://127.0.0.1:1').replace('b', 'http://127.0.0.1:2'), concurrency: 1 },
      /as many urls/,
    ],
    [{ engine: 'curl' as never, url: 'http://127.0.0.1:1' }, /engine to be one of raw, undici, got curl/],
    [{ clientThreads: 5, concurrency: 4, url: 'http://127.0.0.1:1' }, /at most concurrency/],
  ])('rejects %j before sending anything', async (options, message) => {
    await expect(run(options)).rejects.toThrow(message);
  });
});
