/** Liar servers, one per rule a snapshot must obey on its own (see `snapshotProblems`). */
import { describe, expect, it } from 'vitest';
import { runChallenge } from '../src/challenge.js';
import { snapshotProblems } from '../src/expected.js';
import { fixtureServers, type Misbehaviour } from './fixtures/server.js';

const small = { requests: 2000, concurrency: 20 } as const;
const servers = fixtureServers();

async function liar(rewriteStats: Misbehaviour['rewriteStats'], preload = 0): Promise<string> {
  const server = await servers.start({ rewriteStats });
  for (let i = 0; i < preload; i++) server.store.record(`old_${i}`, i);
  return server.url;
}

const total = (s: Record<string, unknown>): number => s['totalRequests'] as number;

describe('every snapshot is checked on its own', () => {
  it('fails a lie that is the same before and after (a delta check alone passes it)', async () => {
    const report = await runChallenge({
      url: await liar((s) => ({ ...s, sum: (s['sum'] as number) + 1 })),
      ...small,
    });
    expect(report.ok).toBe(false);
    expect(report.validation.fresh).toBe(true);
    expect(report.problems).toContain('/stats before the run: totalRequests is 0 but sum is 1');
  });

  it('fails more users than events, even when the change is right', async () => {
    const url = await liar(
      (s) => (total(s) > 0 ? { ...s, uniqueUsers: (s['uniqueUsers'] as number) + 5 } : s),
      3,
    );
    const report = await runChallenge({ url, ...small });
    expect(report.validation.fresh).toBe(false);
    // The change is exact (+2,000 new users), so only the rule catches it.
    expect(report.validation.checks.every((c) => c.ok)).toBe(true);
    expect(report.ok).toBe(false);
    expect(report.problems).toContain('/stats before the run: uniqueUsers 8 is more than totalRequests 3');
  });

  it('fails an avg that is not sum / totalRequests', async () => {
    const url = await liar((s) => (total(s) > 0 ? { ...s, avg: (s['avg'] as number) * 1.000001 } : s));
    const report = await runChallenge({ url, ...small });
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toMatch(
      // The exact sum behind 999000 may lie half an ulp either side: so may avg, by a little.
      /after the run: avg 499\.500499\d* is not sum \/ totalRequests \(999000 \/ 2000 rounds to 499\.4999\d* \.\. 499\.5000\d*\)/,
    );
  });

  it('fails fields of the wrong kind', async () => {
    const url = await liar((s) =>
      total(s) > 0 ? { ...s, sum: String(s['sum']), totalRequests: total(s) + 0.5 } : s,
    );
    const report = await runChallenge({ url, ...small });
    expect(report.ok).toBe(false);
    expect(report.validation.snapshotProblems).toEqual([
      'after the run: totalRequests is 2000.5, not a non-negative integer',
      'after the run: sum is missing or not a finite JSON number',
    ]);
  });

  it('fails events without users', async () => {
    const url = await liar((s) => (total(s) > 0 ? { ...s, uniqueUsers: 0 } : s), 1);
    const report = await runChallenge({ url, ...small });
    expect(report.ok).toBe(false);
    expect(report.problems).toContain('/stats before the run: uniqueUsers is 0 but totalRequests is 1');
  });

  it('accepts every snapshot a correct server can show', () => {
    expect(snapshotProblems({ totalRequests: 0, uniqueUsers: 0, sum: 0, avg: 0 })).toEqual([]);
    expect(snapshotProblems({ totalRequests: 3, uniqueUsers: 1, sum: 1, avg: 1 / 3 })).toEqual([]);
    expect(snapshotProblems({ totalRequests: 1, uniqueUsers: 1, sum: -62.5, avg: -62.5 })).toEqual([]);
  });
});
