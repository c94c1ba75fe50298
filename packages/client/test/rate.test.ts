/**
 * The open model (`rate`): requests go out on a schedule, and latency counts from when each
 * was due, so a server that stalls cannot hide the stall by holding the client back.
 * Assertions are relations (corrected against uncorrected, against the stall), not timings.
 */
import { describe, expect, it } from 'vitest';
import { runChallenge } from '../src/challenge.js';
import { fixtureServers } from './fixtures/server.js';

const fixture = fixtureServers().url;

describe('the open model', () => {
  it('shows a server-wide stall in the corrected percentiles, not in the uncorrected ones', async () => {
    const stallMs = 1000;
    const url = await fixture({ stall: { afterPosts: 300, ms: stallMs } });
    const report = await runChallenge({ url, rate: 500, requests: 1500, concurrency: 10 });
    expect(report.problems).toEqual([]);
    const corrected = report.openModel?.correctedUs;
    expect(corrected?.p99).toBeGreaterThanOrEqual((stallMs / 2) * 1000);
    // Only the ≤ 10 requests in flight during the stall waited for it on the wire.
    expect(report.latencyUs.p50).toBeLessThan((stallMs / 5) * 1000);
    expect(corrected?.p99).toBeGreaterThan(5 * report.latencyUs.p50);
    expect(report.latencyUs.p999).toBeLessThanOrEqual(report.latencyUs.max);
    expect(corrected?.p999).toBeLessThanOrEqual(corrected?.max as number);
  });

  it('says so when the server cannot keep up', async () => {
    // Two connections, 25 ms per answer: at most 80 req/s against a target of 400.
    const url = await fixture({ delayMs: 25 });
    const report = await runChallenge({ url, rate: 400, requests: 100, concurrency: 2 });
    expect(report.problems).toEqual([]);
    expect(report.openModel).toMatchObject({ targetRate: 400, keptUp: false });
    expect(report.openModel?.achievedRate).toBeLessThan(0.95 * 400);
    expect(report.openModel?.verdict).toMatch(/^could NOT keep up: \d+ req\/s of the 400 req\/s target/);
  });

  it('keeps to a rate the server sustains, with durationMs, and validates as always', async () => {
    const report = await runChallenge({ url: await fixture(), rate: 200, durationMs: 1000, concurrency: 20 });
    expect(report.problems).toEqual([]);
    expect(report.options).toMatchObject({ rate: 200, requests: 200 });
    expect(report.openModel?.keptUp).toBe(true);
    expect(report.openModel?.verdict).toMatch(/^kept up: /);
    // The schedule is the floor: 200 requests at 200/s take about a second, not less.
    expect(report.durationMs).toBeGreaterThanOrEqual(990);
  });
});
